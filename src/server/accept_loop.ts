/**
 * The connection guard's accept loop: a failure to accept (too many open files, say) does not
 * stop the door; accepting is retried with a doubling wait, and each episode of failures is
 * logged once when it starts and once after it ended.
 *
 * @module
 */

import type { Logger } from "../log/logging.ts";
import {
  ACCEPT_EPISODE_QUIET_MS,
  ACCEPT_RETRY_MAX_MS,
  ACCEPT_RETRY_MIN_MS,
} from "./connection_limits.ts";

/**
 * What the guard needs of a listener (a `Deno.TcpListener` or `Deno.TlsListener` is one): tests
 * hand in one whose `accept` fails on purpose.
 */
export interface GuardListener {
  /** Where it listens. */
  readonly addr: Deno.Addr;
  /** The next connection (rejects when the listener is closed, or on a failure to accept). */
  accept(): Promise<Deno.Conn<Deno.NetAddr>>;
  /** Stops listening. */
  close(): void;
}

/** What {@linkcode acceptLoop} needs beside the listener. */
export interface AcceptLoopOptions {
  /** Aborted when the guard stops accepting: the loop ends. */
  readonly signal: AbortSignal;
  /** Waits `ms` before accepting again, or less when `signal` aborts. */
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** The time in ms, which tells episodes of accept failures apart. */
  readonly now: () => number;
  /** Where episodes are logged. */
  readonly logger: Logger;
  /** Takes each connection accepted. */
  readonly take: (conn: Deno.Conn<Deno.NetAddr>) => void;
}

/**
 * Accepts connections from `listener` until `options.signal` aborts, retrying failures (see
 * {@linkcode ACCEPT_RETRY_MIN_MS}).
 *
 * @example
 * ```ts
 * import { acceptLoop } from "./accept_loop.ts";
 * import { delay } from "../io/delay.ts";
 * import { getObserverLogger } from "../log/logging.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const stop = new AbortController();
 * const done = acceptLoop(listener, {
 *   signal: stop.signal, sleep: delay, now: Date.now, logger: getObserverLogger("server"),
 *   take: (conn) => conn.close(),
 * });
 * stop.abort();
 * listener.close();
 * await done;
 * ```
 */
export async function acceptLoop(
  listener: GuardListener,
  options: AcceptLoopOptions,
): Promise<void> {
  const { signal, logger } = options;
  /** Failed accepts in the current episode, when it started and when the last one failed. */
  let failures = 0;
  let failingSince = 0;
  let lastFailure = -Infinity;
  let delay = 0;
  while (!signal.aborted) {
    let conn: Deno.Conn<Deno.NetAddr>;
    try {
      conn = await listener.accept();
    } catch (error) {
      if (signal.aborted) return; // closed by stopAccepting
      // Anything else (too many open files, say) passes: the connections that could not be
      // accepted wait in the backlog meanwhile.
      const now = options.now();
      if (now - lastFailure >= ACCEPT_EPISODE_QUIET_MS) {
        failures = 0;
        failingSince = now;
        logger.error(
          "Cannot accept connections: {error}; retrying every {maxMs} ms at most until it works",
          { error: String(error), maxMs: ACCEPT_RETRY_MAX_MS },
        );
      }
      failures++;
      lastFailure = now;
      delay = Math.min(delay === 0 ? ACCEPT_RETRY_MIN_MS : delay * 2, ACCEPT_RETRY_MAX_MS);
      await options.sleep(delay, signal);
      continue;
    }
    delay = 0;
    if (failures > 0 && options.now() - lastFailure >= ACCEPT_EPISODE_QUIET_MS) {
      logger.info(
        "Accepting connections again: {failures} accepts failed in {ms} ms, none since",
        { failures, ms: lastFailure - failingSince },
      );
      failures = 0;
    }
    options.take(conn);
  }
}
