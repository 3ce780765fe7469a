/**
 * The service's front door: a TCP listener that gives each connection a bounded time and size to
 * send its request headers, then passes the connection through to the HTTP server behind it (a
 * `Deno.serve` on a Unix socket). `Deno.serve` has no header timeout, so without this a client
 * that sends half a request line holds its connection forever (slowloris).
 *
 * Each request is passed on with `Connection: close`, so the server behind closes the connection
 * after its answer: a connection carries one request and every request's headers pass through
 * this check. The client's address reaches the server in the `x-qts-peer` header, set here (a
 * client's own is removed). The head is handled as raw bytes (see `request_head.ts`): what the
 * server behind reads is what was checked, byte for byte.
 *
 * A failure to accept (too many open files, say) does not stop the door: accepting is retried
 * with a backoff from {@linkcode ACCEPT_RETRY_MIN_MS} to {@linkcode ACCEPT_RETRY_MAX_MS}, and each
 * episode of such failures is logged once when it starts and once after it ended (see
 * {@linkcode ACCEPT_EPISODE_QUIET_MS}).
 *
 * @module
 */

import { delay } from "../io/delay.ts";
import type { Logger } from "../log/logging.ts";
import { forwardedHead, headEnd, PEER_HEADER } from "./request_head.ts";

export { PEER_HEADER };

/** Limits of the front door. */
export interface ConnectionLimits {
  /** Time from connect to the end of the request headers, in ms (then the connection is closed). */
  readonly headerTimeoutMs: number;
  /** Largest request head (request line and headers), in bytes (431 beyond). */
  readonly maxHeaderBytes: number;
  /** Connections open at once (503 beyond). */
  readonly maxConnections: number;
  /**
   * Connections open at once from one client address (503 beyond), so that one client cannot
   * take every connection: at most `maxConnections` over all clients.
   */
  readonly maxConnectionsPerClient: number;
}

/**
 * The default limits: 10 s for the headers, 64 KiB of them, 1,024 connections, 64 of them from
 * one client address.
 */
export const CONNECTION_LIMITS: ConnectionLimits = {
  headerTimeoutMs: 10_000,
  maxHeaderBytes: 64 * 1024,
  maxConnections: 1024,
  maxConnectionsPerClient: 64,
};

/** First wait before accepting again after a failed accept, in ms (doubled at each failure). */
export const ACCEPT_RETRY_MIN_MS = 10;

/** Longest wait between two attempts to accept, in ms. */
export const ACCEPT_RETRY_MAX_MS = 1000;

/**
 * Time without a failed accept that ends an episode of them, in ms: the first failure of an
 * episode is logged (an error), and its end at the first connection accepted after it (info).
 * Accepts that fail and succeed in turn, as they do at the limit of open files, are one episode.
 */
export const ACCEPT_EPISODE_QUIET_MS = 10_000;

/**
 * What the guard needs of a listener (a `Deno.TcpListener` is one): tests hand in one whose
 * `accept` fails on purpose.
 */
export interface GuardListener {
  /** Where it listens. */
  readonly addr: Deno.Addr;
  /** The next connection (rejects when the listener is closed, or on a failure to accept). */
  accept(): Promise<Deno.TcpConn>;
  /** Stops listening. */
  close(): void;
}

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
  /** Of `refused`: connections over the limit of one client address. */
  readonly refusedPerClient: number;
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

/** Largest answer head read for its framing; beyond, the answer is copied until the server closes. */
const MAX_ANSWER_HEAD_BYTES = 64 * 1024;

/** Index of the first CRLF CRLF in `bytes`, or -1. */
function blankLineAt(bytes: Uint8Array): number {
  for (let i = 3; i < bytes.length; i++) {
    if (
      bytes[i] === 0x0a && bytes[i - 1] === 0x0d && bytes[i - 2] === 0x0a && bytes[i - 3] === 0x0d
    ) {
      return i - 3;
    }
  }
  return -1;
}

/**
 * How an answer whose head is `head` (without its empty line) ends: `"interim"` for a 1xx answer
 * (another answer follows), the number of body bytes when known, or `"close"` (copy until the
 * server closes). The head is read as bytes, each byte one character (no decoding).
 */
function answerFraming(head: Uint8Array, isHead: boolean): "interim" | "close" | number {
  let text = "";
  for (const b of head) text += String.fromCharCode(b);
  const status = /^HTTP\/\d\.\d (\d{3})/.exec(text)?.[1];
  if (status === undefined) return "close";
  const code = Number(status);
  if (code >= 100 && code < 200) return "interim";
  if (isHead || code === 204 || code === 304) return 0;
  const fields = headFields(head);
  const chunked = fields.some(([name, value]) =>
    name === "transfer-encoding" && /(^|,)[ \t]*chunked[ \t]*(,|$)/i.test(value)
  );
  const length = fields.find(([name]) => name === "content-length")?.[1];
  if (chunked || length === undefined || !/^\d{1,15}$/.test(length)) return "close";
  return Number(length);
}

/** The header fields of a head (its first line skipped), names in lower case, read as bytes. */
function headFields(head: Uint8Array): [string, string][] {
  let text = "";
  for (const b of head) text += String.fromCharCode(b);
  return text.split("\r\n").slice(1).filter((line) => line.includes(":")).map((line) => {
    const colon = line.indexOf(":");
    return [
      line.slice(0, colon).toLowerCase(),
      line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, ""),
    ];
  });
}

/**
 * How a request whose head is `head` frames its body: its length in bytes (0 without one), or
 * `"chunked"`. Tells the guard whether a client that ends its side sent its whole body.
 */
function requestFraming(head: Uint8Array): number | "chunked" {
  const fields = headFields(head);
  if (
    fields.some(([name, value]) =>
      name === "transfer-encoding" && /(^|,)[ \t]*chunked[ \t]*(,|$)/i.test(value)
    )
  ) return "chunked";
  const length = fields.find(([name]) => name === "content-length")?.[1];
  return length !== undefined && /^\d{1,15}$/.test(length) ? Number(length) : 0;
}

/** The end of a chunked body without trailers: the last chunk and the empty line. */
const LAST_CHUNK = new TextEncoder().encode("0\r\n\r\n");

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * Copies the server's answer from `upstream` to `client` and returns when it is complete: when
 * the server closes (it was asked to), or, for an answer with a Content-Length (or none: to a
 * `HEAD`, a 204 or a 304), once that many body bytes went through — the server keeps a
 * connection open while the request's body is unread (a request refused early, or a body that
 * came too slowly), so its close cannot be waited for. Interim `1xx` answers (`100 Continue`)
 * are passed through and skipped. A chunked answer, or one without a length, is copied until the
 * server closes. Every byte is copied as it came; the head is read as bytes.
 *
 * @example
 * ```ts
 * import { relayResponse } from "./connection_guard.ts";
 * declare const upstream: Deno.Conn, client: Deno.Conn;
 * await relayResponse(upstream, client, false);
 * ```
 */
export async function relayResponse(
  upstream: Deno.Conn,
  client: Deno.Conn,
  isHead: boolean,
): Promise<void> {
  const buffer = new Uint8Array(16 * 1024); // per connection: small, many may be open
  let head: Uint8Array = new Uint8Array(0); // the answer's head so far, until it is complete
  let remaining: number | undefined; // body bytes still to come, when known
  while (true) {
    const n = await upstream.read(buffer);
    if (n === null) return;
    await writeAll(client, buffer.subarray(0, n));
    if (remaining !== undefined) {
      remaining -= n;
    } else {
      head = concat(head, buffer.subarray(0, n));
      let end: number;
      while (remaining === undefined && (end = blankLineAt(head)) >= 0) {
        const framing = answerFraming(head.subarray(0, end), isHead);
        const rest = head.length - (end + 4);
        if (framing === "interim") {
          head = head.slice(end + 4);
          continue;
        }
        if (framing === "close") return await drain(upstream, client, buffer);
        remaining = framing - rest;
      }
      if (remaining === undefined && head.length >= MAX_ANSWER_HEAD_BYTES) {
        return await drain(upstream, client, buffer);
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

/**
 * Copies what the client sends after its head to the server behind, until the client ends its
 * side (`"eof"`), its connection fails (`"error"`: reset, say) or the exchange is over (`"done"`:
 * either connection was closed here, the answer complete). Read by hand, not through
 * `conn.readable`, which closes the whole connection at the client's end of input: a client that
 * shuts only its side after the body could then never be answered.
 */
async function relayRequest(
  conn: Deno.Conn,
  upstream: Deno.Conn,
  sent: number,
  framing: number | "chunked",
  tail: Uint8Array = new Uint8Array(0),
): Promise<"complete" | "eof" | "error" | "done"> {
  const buffer = new Uint8Array(16 * 1024);
  // The last bytes sent, for a chunked body: whether it ended with its last chunk.
  let last = tail.slice(-LAST_CHUNK.length);
  while (true) {
    let n: number | null;
    try {
      n = await conn.read(buffer);
    } catch (error) {
      return error instanceof Deno.errors.BadResource ? "done" : "error";
    }
    if (n === null) {
      const complete = framing === "chunked"
        ? last.length === LAST_CHUNK.length && last.every((b, i) => b === LAST_CHUNK[i])
        : sent >= framing;
      return complete ? "complete" : "eof";
    }
    sent += n;
    if (framing === "chunked") last = concat(last, buffer.subarray(0, n)).slice(-LAST_CHUNK.length);
    try {
      await writeAll(upstream, buffer.subarray(0, n));
    } catch {
      return "done"; // the server behind closed: its answer ends the exchange
    }
  }
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}

/** Options of {@linkcode startConnectionGuard}. */
export interface ConnectionGuardOptions {
  /** Address to listen on. */
  readonly hostname: string;
  /** Port to listen on (0: any free one). */
  readonly port: number;
  /** The Unix socket of the HTTP server behind. */
  readonly upstreamPath: string;
  /**
   * Settles once the HTTP server behind listens on `upstreamPath`. The guard listens first (a
   * taken address fails before anything else starts), so a request can come while the server
   * is still starting (a client polling /healthz): it waits for this instead of finding no
   * socket there (logged as an error and answered 503). Default: the server already listens.
   */
  readonly upstreamReady?: Promise<unknown>;
  /** Limits, each defaulting to {@linkcode CONNECTION_LIMITS}. */
  readonly limits?: Partial<ConnectionLimits>;
  /** Where failures are logged. */
  readonly logger: Logger;
  /**
   * Opens the listener (default: `Deno.listen` on `hostname:port`). For tests: a listener whose
   * `accept` fails on purpose.
   */
  readonly listen?: (address: { hostname: string; port: number }) => GuardListener;
  /**
   * Waits `ms` before accepting again after a failure, or less when `signal` aborts (it does
   * when the guard stops accepting). Default: a timer. For tests: a wait that records the delays.
   */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** The time in ms (default: `Date.now`), which tells episodes of accept failures apart. */
  readonly now?: () => number;
}

/**
 * Listens on `hostname:port` and passes each connection whose headers arrive within the limits
 * to the HTTP server on the Unix socket `upstreamPath`. A failure to accept is retried (see
 * {@linkcode ACCEPT_RETRY_MIN_MS}) until {@linkcode ConnectionGuard.stopAccepting}.
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
export function startConnectionGuard(options: ConnectionGuardOptions): ConnectionGuard {
  const limits: ConnectionLimits = { ...CONNECTION_LIMITS, ...options.limits };
  const address = { hostname: options.hostname, port: options.port };
  const listener = options.listen?.(address) ?? Deno.listen(address);
  const wait = options.sleep ?? delay;
  const clock = options.now ?? Date.now;
  /** Aborted by stopAccepting: the accept loop ends. */
  const stopping = new AbortController();
  /** Client connections open now. */
  const open = new Set<Deno.Conn>();
  /** Connections to the server behind, one per client connection passed on. */
  const upstreams = new Set<Deno.Conn>();
  let accepted = 0;
  let headerTimeouts = 0;
  let refused = 0;
  let refusedPerClient = 0;
  /** Connections open now by client address (its host, without the port). */
  const byClient = new Map<string, number>();

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
    const forwarded = forwardedHead(buffer.subarray(0, end), peer);
    if (!forwarded.ok) {
      refused++;
      await writeAll(conn, plainAnswer("400 Bad Request", forwarded.refusal)).catch(() => {});
      return;
    }
    if (options.upstreamReady !== undefined) await options.upstreamReady.catch(() => {});
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
      await writeAll(upstream, forwarded.head);
      if (filled > end) await writeAll(upstream, buffer.subarray(end, filled));
      const bodyless = forwarded.method === "GET" || forwarded.method === "HEAD";
      const framing = requestFraming(forwarded.head);
      const sent = filled - end;
      const toServer = relayRequest(conn, upstream, sent, framing, buffer.subarray(end, filled))
        .then((ending) => {
          if (ending === "complete" && !bodyless) {
            // The client shut its side after its whole request, and still reads: it is answered
            // (the server behind is not told: it would drop the request if it had not read it).
          } else if (ending === "eof") {
            // The client shut its side mid-body: the server behind is told, so that the body
            // fails at once (408/400), and its ingest slot is free, not held until the timeout.
            upstream.closeWrite().catch(() => closeQuietly(upstream));
          } else if (ending !== "done") {
            // A client that ends its side of a GET (a stream it no longer reads), or whose
            // connection failed, is gone: end the exchange, so that the server lets go of the
            // request (a stream subscriber, an upload) at once.
            closeQuietly(conn);
            closeQuietly(upstream);
          }
        });
      await relayResponse(upstream, conn, forwarded.method === "HEAD").catch(() => {});
      closeQuietly(conn);
      closeQuietly(upstream);
      await toServer;
    } finally {
      upstreams.delete(upstream);
      closeQuietly(upstream);
    }
  }

  function refuse(conn: Deno.TcpConn, message: string): void {
    refused++;
    writeAll(conn, plainAnswer("503 Service Unavailable", message)).catch(() => {})
      .finally(() => closeQuietly(conn));
  }

  function take(conn: Deno.TcpConn): void {
    accepted++;
    if (open.size >= limits.maxConnections) {
      return refuse(conn, "expected fewer connections at once; retry");
    }
    const client = conn.remoteAddr.hostname;
    const ofClient = byClient.get(client) ?? 0;
    if (ofClient >= limits.maxConnectionsPerClient) {
      refusedPerClient++;
      return refuse(
        conn,
        `expected at most ${limits.maxConnectionsPerClient} connections at once from one ` +
          "client; retry",
      );
    }
    byClient.set(client, ofClient + 1);
    open.add(conn);
    pass(conn).catch((error) =>
      options.logger.error("Connection failed: {error}", { error: String(error) })
    ).finally(() => {
      if (open.delete(conn)) {
        const left = (byClient.get(client) ?? 1) - 1;
        if (left > 0) byClient.set(client, left);
        else byClient.delete(client);
      }
      closeQuietly(conn);
    });
  }

  (async () => {
    /** Failed accepts in the current episode, when it started and when the last one failed. */
    let failures = 0;
    let failingSince = 0;
    let lastFailure = -Infinity;
    let delay = 0;
    while (!stopping.signal.aborted) {
      let conn: Deno.TcpConn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (stopping.signal.aborted) return; // closed by stopAccepting
        // Anything else (too many open files, say) passes: the connections that could not be
        // accepted wait in the backlog meanwhile.
        const now = clock();
        if (now - lastFailure >= ACCEPT_EPISODE_QUIET_MS) {
          failures = 0;
          failingSince = now;
          options.logger.error(
            "Cannot accept connections: {error}; retrying every {maxMs} ms at most until it works",
            { error: String(error), maxMs: ACCEPT_RETRY_MAX_MS },
          );
        }
        failures++;
        lastFailure = now;
        delay = Math.min(delay === 0 ? ACCEPT_RETRY_MIN_MS : delay * 2, ACCEPT_RETRY_MAX_MS);
        await wait(delay, stopping.signal);
        continue;
      }
      delay = 0;
      if (failures > 0 && clock() - lastFailure >= ACCEPT_EPISODE_QUIET_MS) {
        options.logger.info(
          "Accepting connections again: {failures} accepts failed in {ms} ms, none since",
          { failures, ms: lastFailure - failingSince },
        );
        failures = 0;
      }
      take(conn);
    }
  })().catch((error) =>
    options.logger.error("The connection guard stopped accepting: {error}", {
      error: String(error),
    })
  );

  return {
    addr: listener.addr as Deno.NetAddr,
    stats: () => ({ open: open.size, accepted, headerTimeouts, refused, refusedPerClient }),
    stopAccepting() {
      stopping.abort();
      try {
        listener.close();
      } catch {
        // already closed
      }
    },
    closeAll() {
      for (const conn of [...open, ...upstreams]) closeQuietly(conn);
      open.clear();
      byClient.clear();
      upstreams.clear();
    },
  };
}
