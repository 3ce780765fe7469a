/**
 * The service's front door: a TCP listener that gives each connection a bounded time and size to
 * send its request headers, then passes the connection through to the HTTP server behind it (a
 * `Deno.serve` on a Unix socket). `Deno.serve` has no header timeout, so without this a client
 * that sends half a request line holds its connection forever (slowloris).
 *
 * Each request is passed on with `Connection: close`, so the server behind closes the connection
 * after its answer: a connection carries one request and every request's headers pass through
 * this check. The client's address reaches the server in the `x-qts-peer` header, set here (a
 * client's own is removed).
 *
 * @module
 */

import type { Logger } from "../log/logging.ts";

/** Limits of the front door. */
export interface ConnectionLimits {
  /** Time from connect to the end of the request headers, in ms (then the connection is closed). */
  readonly headerTimeoutMs: number;
  /** Largest request head (request line and headers), in bytes (431 beyond). */
  readonly maxHeaderBytes: number;
  /** Connections open at once (503 beyond). */
  readonly maxConnections: number;
}

/** The default limits: 10 s for the headers, 64 KiB of them, 1,024 connections. */
export const CONNECTION_LIMITS: ConnectionLimits = {
  headerTimeoutMs: 10_000,
  maxHeaderBytes: 64 * 1024,
  maxConnections: 1024,
};

/** The header that carries the client's address to the server behind the guard. */
export const PEER_HEADER = "x-qts-peer";

/** Counters of the front door. */
export interface ConnectionStats {
  /** Connections open now. */
  readonly open: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Connections closed because the headers did not come in time. */
  readonly headerTimeouts: number;
  /** Connections refused: headers too large, or too many connections. */
  readonly refused: number;
}

/** A running front door. */
export interface ConnectionGuard {
  /** Where it listens. */
  readonly addr: Deno.NetAddr;
  /** Its counters. */
  stats(): ConnectionStats;
  /** Stops accepting connections. */
  stopAccepting(): void;
  /** Closes every connection still open (call once the server behind has finished). */
  closeAll(): void;
}

const encoder = new TextEncoder();

/**
 * Index just past the first empty line in `bytes` (CRLF CRLF, or a bare LF where a CRLF belongs:
 * found so that such a head can be refused at once), or -1.
 */
function headEnd(bytes: Uint8Array, from: number): number {
  for (let i = Math.max(1, from - 1); i < bytes.length; i++) {
    if (bytes[i] !== 0x0a) continue;
    if (bytes[i - 1] === 0x0a) return i + 1;
    if (bytes[i - 1] === 0x0d && i >= 2 && bytes[i - 2] === 0x0a) return i + 1;
  }
  return -1;
}

/**
 * Why a request head is refused, or undefined: every line must end in CRLF, with no other CR,
 * no NUL and no folded (indented) header line, so that the guard and the server behind read
 * the same headers (a bare LF would let a client slip a header past the guard).
 */
function malformedHead(head: Uint8Array): string | undefined {
  for (let i = 0; i < head.length; i++) {
    const b = head[i];
    if (b === 0) return "a NUL byte";
    if (b === 0x0a && head[i - 1] !== 0x0d) return "a line ending in LF without CR";
    if (b === 0x0d && head[i + 1] !== 0x0a) return "a CR not followed by LF";
    if (b === 0x0a && i + 1 < head.length - 2 && (head[i + 1] === 0x20 || head[i + 1] === 0x09)) {
      return "a folded header line";
    }
  }
  return undefined;
}

/**
 * The head as the server behind gets it: the peer header set and `Connection: close` (so the
 * server closes the connection after its answer, and the next request comes through the guard
 * on a new one); the client's own headers of those names dropped.
 */
function forwardedHead(head: Uint8Array, peer: string): Uint8Array {
  const text = new TextDecoder("latin1").decode(head);
  const lines = text.slice(0, -4).split("\r\n");
  const kept = lines.filter((line, i) =>
    i === 0 || !/^(x-qts-peer|connection|keep-alive)\s*:/i.test(line)
  );
  const out = [kept[0], `${PEER_HEADER}: ${peer}`, "connection: close", ...kept.slice(1)]
    .join("\r\n") + "\r\n\r\n";
  // latin1 round trip: every byte of the head maps to one char and back
  return Uint8Array.from(out, (c) => c.charCodeAt(0));
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
}

function plainAnswer(status: string, message: string): Uint8Array {
  const body = JSON.stringify({ error: message }) + "\n";
  return encoder.encode(
    `HTTP/1.1 ${status}\r\ncontent-type: application/json; charset=utf-8\r\n` +
      `content-length: ${encoder.encode(body).length}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/**
 * Copies the server's answer to the client and returns when it is complete: when the server
 * closes (it was asked to), or, for an answer with a Content-Length, once that many body bytes
 * went through — the server keeps a connection open while the request's body is unread (a
 * request refused early, or a body that came too slowly), so its close cannot be waited for.
 * Interim `1xx` answers (`100 Continue`) are passed through and skipped.
 */
async function relayResponse(upstream: Deno.Conn, client: Deno.Conn, isHead: boolean) {
  const buffer = new Uint8Array(16 * 1024); // per connection: small, many may be open
  let head = ""; // the answer's head so far (latin1), until it is complete
  let remaining: number | undefined; // body bytes still to come, when known
  while (true) {
    const n = await upstream.read(buffer);
    if (n === null) return;
    await writeAll(client, buffer.subarray(0, n));
    if (remaining !== undefined) {
      remaining -= n;
    } else if (head.length < 64 * 1024) {
      head += new TextDecoder("latin1").decode(buffer.subarray(0, n));
      let end: number;
      while (remaining === undefined && (end = head.indexOf("\r\n\r\n")) >= 0) {
        const status = Number(head.slice(9, 12));
        const rest = head.length - (end + 4);
        if (status >= 100 && status < 200) {
          head = head.slice(end + 4);
          continue;
        }
        const length = /\r\ncontent-length:\s*(\d+)/i.exec(head.slice(0, end))?.[1];
        const chunked = /\r\ntransfer-encoding:[^\r]*chunked/i.test(head.slice(0, end));
        if (isHead || status === 204 || status === 304) remaining = 0 - rest;
        else if (length !== undefined && !chunked) remaining = Number(length) - rest;
        else return await drain(upstream, client, buffer); // until the server closes
      }
    }
    if (remaining !== undefined && remaining <= 0) return;
  }
}

/** Copies everything the server sends until it closes. */
async function drain(upstream: Deno.Conn, client: Deno.Conn, buffer: Uint8Array): Promise<void> {
  for (let n = await upstream.read(buffer); n !== null; n = await upstream.read(buffer)) {
    await writeAll(client, buffer.subarray(0, n));
  }
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}

/**
 * Listens on `hostname:port` and passes each connection whose headers arrive within the limits
 * to the HTTP server on the Unix socket `upstreamPath`.
 *
 * @example
 * ```ts
 * import { startConnectionGuard } from "./connection_guard.ts";
 * import { getObserverLogger } from "../log/logging.ts";
 * const guard = startConnectionGuard({
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   upstreamPath: "/tmp/qts-serve.sock",
 *   logger: getObserverLogger("server"),
 * });
 * guard.stopAccepting();
 * guard.closeAll();
 * ```
 */
export function startConnectionGuard(options: {
  readonly hostname: string;
  readonly port: number;
  readonly upstreamPath: string;
  readonly limits?: Partial<ConnectionLimits>;
  readonly logger: Logger;
}): ConnectionGuard {
  const limits: ConnectionLimits = { ...CONNECTION_LIMITS, ...options.limits };
  const listener = Deno.listen({ hostname: options.hostname, port: options.port });
  /** Client connections open now. */
  const open = new Set<Deno.Conn>();
  /** Connections to the server behind, one per client connection passed on. */
  const upstreams = new Set<Deno.Conn>();
  let accepted = 0;
  let headerTimeouts = 0;
  let refused = 0;

  async function pass(conn: Deno.TcpConn): Promise<void> {
    const peer = `${conn.remoteAddr.hostname}:${conn.remoteAddr.port}`;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      closeQuietly(conn);
    }, limits.headerTimeoutMs);
    let buffer = new Uint8Array(4096);
    let filled = 0;
    let end = -1;
    try {
      while (end < 0) {
        if (filled === buffer.length) {
          if (buffer.length >= limits.maxHeaderBytes) break;
          const larger = new Uint8Array(Math.min(buffer.length * 2, limits.maxHeaderBytes));
          larger.set(buffer);
          buffer = larger;
        }
        const n = await conn.read(buffer.subarray(filled));
        if (n === null) return; // the client left before sending a request
        filled += n;
        end = headEnd(buffer.subarray(0, filled), filled - n);
      }
    } catch {
      if (timedOut) headerTimeouts++;
      return;
    } finally {
      clearTimeout(timer);
    }
    const malformed = end < 0 ? undefined : malformedHead(buffer.subarray(0, end));
    if (malformed !== undefined) {
      refused++;
      await writeAll(
        conn,
        plainAnswer("400 Bad Request", `expected request headers in CRLF lines, got ${malformed}`),
      ).catch(() => {});
      return;
    }
    if (end < 0) {
      refused++;
      await writeAll(
        conn,
        plainAnswer(
          "431 Request Header Fields Too Large",
          `expected request headers of at most ${limits.maxHeaderBytes} bytes, got more`,
        ),
      ).catch(() => {});
      return;
    }
    let upstream: Deno.UnixConn;
    try {
      upstream = await Deno.connect({ transport: "unix", path: options.upstreamPath });
    } catch (error) {
      options.logger.error("Cannot reach the HTTP server behind the guard: {error}", {
        error: String(error),
      });
      await writeAll(
        conn,
        plainAnswer("503 Service Unavailable", "the service is stopping or failing; retry"),
      ).catch(() => {});
      return;
    }
    upstreams.add(upstream);
    try {
      await writeAll(upstream, forwardedHead(buffer.subarray(0, end), peer));
      if (filled > end) await writeAll(upstream, buffer.subarray(end, filled));
      const method = new TextDecoder().decode(buffer.subarray(0, 8)).split(" ")[0];
      const bodyless = method === "GET" || method === "HEAD";
      const toServer = conn.readable.pipeTo(upstream.writable, { preventClose: true })
        .catch(() => {}).then(() => {
          // A client that ends its side of a GET (a stream it no longer reads) is gone: end the
          // exchange, so that the server lets go of the request (a stream subscriber, say).
          if (bodyless) {
            closeQuietly(conn);
            closeQuietly(upstream);
          }
        });
      const isHead = method === "HEAD";
      await relayResponse(upstream, conn, isHead).catch(() => {});
      closeQuietly(conn);
      closeQuietly(upstream);
      await toServer;
    } finally {
      upstreams.delete(upstream);
      closeQuietly(upstream);
    }
  }

  (async () => {
    try {
      for await (const conn of listener) {
        accepted++;
        if (open.size >= limits.maxConnections) {
          refused++;
          writeAll(
            conn,
            plainAnswer("503 Service Unavailable", "expected fewer connections at once; retry"),
          ).catch(() => {}).finally(() => closeQuietly(conn));
          continue;
        }
        open.add(conn);
        pass(conn).catch((error) =>
          options.logger.error("Connection failed: {error}", { error: String(error) })
        ).finally(() => {
          open.delete(conn);
          closeQuietly(conn);
        });
      }
    } catch {
      // the listener was closed
    }
  })();

  return {
    addr: listener.addr as Deno.NetAddr,
    stats: () => ({ open: open.size, accepted, headerTimeouts, refused }),
    stopAccepting() {
      try {
        listener.close();
      } catch {
        // already closed
      }
    },
    closeAll() {
      for (const conn of [...open, ...upstreams]) closeQuietly(conn);
      open.clear();
      upstreams.clear();
    },
  };
}
