/**
 * The service's front door: a TCP (or TLS) listener that gives each connection a bounded time and
 * size to send its request headers, then passes the connection through to the HTTP server behind
 * it (a `Deno.serve` on a Unix socket). `Deno.serve` has no header timeout, so without this a
 * client that sends half a request line holds its connection forever (slowloris).
 *
 * Each request is passed on with `Connection: close`, so the server behind closes the connection
 * after its answer: a connection carries one request and every request's headers pass through
 * this check. The client's address reaches the server in the `x-qts-peer` header, set here (a
 * client's own is removed). The head is handled as raw bytes (see `request_head.ts`): what the
 * server behind reads is what was checked, byte for byte. With TLS the guard ends it (the
 * bytes it checks are the decrypted ones) and talks plain HTTP to the server behind.
 *
 * At shutdown, {@linkcode ConnectionGuard.stopAccepting} closes the listener and the connections
 * that have sent nothing yet; {@linkcode ConnectionGuard.settled} then tells when every request
 * that came (but streams) has been answered and its answer handed whole to its client.
 *
 * @module
 */

import { delay } from "../io/delay.ts";
import type { Logger } from "../log/logging.ts";
import { acceptLoop, type GuardListener } from "./accept_loop.ts";
import { CONNECTION_LIMITS, type ConnectionLimits } from "./connection_limits.ts";
import { GuardExchanges } from "./guard_exchanges.ts";
import { plainAnswer, requestFraming } from "./http_framing.ts";
import { closeQuietly, relayRequest, relayResponse, SendStalled, writeAll } from "./relay.ts";
import { forwardedHead, headEnd, PEER_HEADER } from "./request_head.ts";

export { PEER_HEADER, relayResponse };
export type { GuardListener };
export {
  ACCEPT_EPISODE_QUIET_MS,
  ACCEPT_RETRY_MAX_MS,
  ACCEPT_RETRY_MIN_MS,
  CONNECTION_LIMITS,
  type ConnectionLimits,
} from "./connection_limits.ts";

/** Counters of the front door. */
export interface ConnectionStats {
  /** Connections open now. */
  readonly open: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Connections closed because the headers did not come in time. */
  readonly headerTimeouts: number;
  /** Connections closed because the client took no byte of its answer in time. */
  readonly sendTimeouts: number;
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
  /**
   * Stops accepting connections, and closes those that have sent no byte yet (they carry no
   * request); the others go on.
   */
  stopAccepting(): void;
  /**
   * Resolves once no connection is sending its head and every request but a `GET` or `HEAD`
   * (streams never end by themselves) has been answered and its answer handed whole to its
   * client; call after {@linkcode ConnectionGuard.stopAccepting}.
   */
  settled(): Promise<void>;
  /** Closes every connection still open (call once the server behind has finished). */
  closeAll(): void;
  /**
   * Cuts the connection of the client at `peer` (`host:port`, as in the `x-qts-peer` header),
   * if it is open: a stream subscriber let go of while it reads nothing.
   */
  disconnect(peer: string): void;
}

/** The certificate chain and private key (PEM text) a TLS listener presents. */
export interface TlsCertificate {
  /** The certificate chain, PEM. */
  readonly cert: string;
  /** The private key, PEM. */
  readonly key: string;
}

/** Options of {@linkcode startConnectionGuard}. */
export interface ConnectionGuardOptions {
  /** Address to listen on. */
  readonly hostname: string;
  /** Port to listen on (0: any free one). */
  readonly port: number;
  /** With it, the guard listens with TLS (`Deno.listenTls`) and ends TLS itself. */
  readonly tls?: TlsCertificate;
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
   * Opens the listener (default: `Deno.listen` on `hostname:port`, or `Deno.listenTls` with
   * `tls`). For tests: a listener whose `accept` fails on purpose.
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

/** A request head read from a client: the bytes read, and where the head ends (-1: too large). */
interface ReadHead {
  readonly buffer: Uint8Array;
  readonly filled: number;
  readonly end: number;
}

type Conn = Deno.Conn<Deno.NetAddr>;

/** A client's `host:port`, as the `x-qts-peer` header names it. */
const peerOf = (conn: Conn) => `${conn.remoteAddr.hostname}:${conn.remoteAddr.port}`;

/** The door itself; see {@linkcode startConnectionGuard}. */
class Door implements ConnectionGuard {
  readonly addr: Deno.NetAddr;
  readonly #options: ConnectionGuardOptions;
  readonly #limits: ConnectionLimits;
  readonly #listener: GuardListener;
  /** Aborted by stopAccepting: the accept loop ends. */
  readonly #stopping = new AbortController();
  /** Client connections open now, and what each is doing. */
  readonly #exchanges = new GuardExchanges();
  /** Client connections by their `host:port`. */
  readonly #byPeer = new Map<string, Conn>();
  /** Connections to the server behind, one per client connection passed on. */
  readonly #upstreams = new Set<Deno.Conn>();
  #accepted = 0;
  #headerTimeouts = 0;
  #sendTimeouts = 0;
  #refused = 0;
  #refusedPerClient = 0;

  constructor(options: ConnectionGuardOptions) {
    this.#options = options;
    this.#limits = { ...CONNECTION_LIMITS, ...options.limits };
    const address = { hostname: options.hostname, port: options.port };
    this.#listener = options.listen?.(address) ??
      (options.tls === undefined
        ? Deno.listen(address)
        : Deno.listenTls({ ...address, cert: options.tls.cert, key: options.tls.key }));
    this.addr = this.#listener.addr as Deno.NetAddr;
    acceptLoop(this.#listener, {
      signal: this.#stopping.signal,
      sleep: options.sleep ?? delay,
      now: options.now ?? Date.now,
      logger: options.logger,
      take: (conn) => this.#take(conn),
    }).catch((error) =>
      options.logger.error("The connection guard stopped accepting: {error}", {
        error: String(error),
      })
    );
  }

  stats(): ConnectionStats {
    return {
      open: this.#exchanges.size,
      accepted: this.#accepted,
      headerTimeouts: this.#headerTimeouts,
      sendTimeouts: this.#sendTimeouts,
      refused: this.#refused,
      refusedPerClient: this.#refusedPerClient,
    };
  }

  stopAccepting(): void {
    this.#stopping.abort();
    try {
      this.#listener.close();
    } catch {
      // already closed
    }
    for (const conn of this.#exchanges.idle()) closeQuietly(conn);
  }

  settled(): Promise<void> {
    return this.#exchanges.settled();
  }

  disconnect(peer: string): void {
    const conn = this.#byPeer.get(peer);
    if (conn !== undefined) closeQuietly(conn);
  }

  closeAll(): void {
    for (const conn of [...this.#exchanges.connections(), ...this.#upstreams]) {
      closeQuietly(conn);
    }
    this.#exchanges.clear();
    this.#upstreams.clear();
    this.#byPeer.clear();
  }

  #take(conn: Conn): void {
    if (this.#stopping.signal.aborted) return closeQuietly(conn); // came as the door closed
    this.#accepted++;
    if (this.#exchanges.size >= this.#limits.maxConnections) {
      return this.#refuse(conn, "expected fewer connections at once; retry");
    }
    const client = conn.remoteAddr.hostname;
    if (this.#exchanges.ofClient(client) >= this.#limits.maxConnectionsPerClient) {
      this.#refusedPerClient++;
      return this.#refuse(
        conn,
        `expected at most ${this.#limits.maxConnectionsPerClient} connections at once from one ` +
          "client; retry",
      );
    }
    this.#exchanges.add(conn, client);
    const peer = peerOf(conn);
    this.#byPeer.set(peer, conn);
    this.#pass(conn).catch((error) =>
      this.#options.logger.error("Connection failed: {error}", { error: String(error) })
    ).finally(() => {
      if (this.#byPeer.get(peer) === conn) this.#byPeer.delete(peer);
      this.#exchanges.delete(conn);
      closeQuietly(conn);
    });
  }

  #refuse(conn: Conn, message: string): void {
    this.#refused++;
    this.#answer(conn, "503 Service Unavailable", message).finally(() => closeQuietly(conn));
  }

  /** Sends one of the guard's own answers; never rejects. */
  #answer(conn: Deno.Conn, status: string, message: string): Promise<void> {
    return writeAll(conn, plainAnswer(status, message), this.#limits.sendTimeoutMs)
      .catch(() => {});
  }

  /** Reads the head of `conn` within the header timeout; undefined when it did not come. */
  async #readHead(conn: Conn): Promise<ReadHead | undefined> {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      closeQuietly(conn);
    }, this.#limits.headerTimeoutMs);
    let buffer = new Uint8Array(4096);
    let filled = 0;
    let end = -1;
    try {
      while (end < 0) {
        if (filled === buffer.length) {
          if (buffer.length >= this.#limits.maxHeaderBytes) break;
          const larger = new Uint8Array(Math.min(buffer.length * 2, this.#limits.maxHeaderBytes));
          larger.set(buffer);
          buffer = larger;
        }
        const n = await conn.read(buffer.subarray(filled));
        if (n === null) return; // the client left before sending a request
        if (filled === 0) this.#exchanges.begin(conn);
        filled += n;
        end = headEnd(buffer.subarray(0, filled), filled - n);
      }
    } catch {
      if (timedOut) this.#headerTimeouts++;
      return;
    } finally {
      clearTimeout(timer);
    }
    return { buffer, filled, end };
  }

  async #pass(conn: Conn): Promise<void> {
    const head = await this.#readHead(conn);
    if (head === undefined) return;
    const { buffer, filled, end } = head;
    if (end < 0) {
      this.#refused++;
      await this.#answer(
        conn,
        "431 Request Header Fields Too Large",
        `expected request headers of at most ${this.#limits.maxHeaderBytes} bytes, got more`,
      );
      return;
    }
    const forwarded = forwardedHead(buffer.subarray(0, end), peerOf(conn));
    if (!forwarded.ok) {
      this.#refused++;
      await this.#answer(conn, "400 Bad Request", forwarded.refusal);
      return;
    }
    const bodyless = forwarded.method === "GET" || forwarded.method === "HEAD";
    this.#exchanges.relaying(conn, bodyless);
    const upstream = await this.#connectUpstream(conn);
    if (upstream === undefined) return;
    this.#upstreams.add(upstream);
    try {
      await writeAll(upstream, forwarded.head);
      if (filled > end) await writeAll(upstream, buffer.subarray(end, filled));
      await this.#exchange(conn, upstream, forwarded.method, forwarded.head, {
        sent: filled - end,
        tail: buffer.subarray(end, filled),
      });
    } finally {
      this.#upstreams.delete(upstream);
      closeQuietly(upstream);
    }
  }

  /** A connection to the server behind, or undefined (the client was answered 503). */
  async #connectUpstream(conn: Conn): Promise<Deno.UnixConn | undefined> {
    if (this.#options.upstreamReady !== undefined) {
      await this.#options.upstreamReady.catch(() => {});
    }
    try {
      return await Deno.connect({ transport: "unix", path: this.#options.upstreamPath });
    } catch (error) {
      this.#options.logger.error("Cannot reach the HTTP server behind the guard: {error}", {
        error: String(error),
      });
      await this.#answer(
        conn,
        "503 Service Unavailable",
        "the service is stopping or failing; retry",
      );
    }
  }

  /** Relays the body to the server and its answer back, until the exchange is over. */
  async #exchange(
    conn: Conn,
    upstream: Deno.UnixConn,
    method: string,
    head: Uint8Array,
    body: { sent: number; tail: Uint8Array },
  ): Promise<void> {
    const bodyless = method === "GET" || method === "HEAD";
    const toServer = relayRequest(conn, upstream, body.sent, requestFraming(head), body.tail)
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
    await relayResponse(upstream, conn, method === "HEAD", this.#limits.sendTimeoutMs).catch(
      (error) => {
        if (error instanceof SendStalled) this.#sendTimeouts++;
      },
    );
    closeQuietly(conn);
    closeQuietly(upstream);
    await toServer;
  }
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
  return new Door(options);
}
