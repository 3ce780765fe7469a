/**
 * The limits of the service's front door (the connection guard) and the timing of its retries
 * when accepting fails.
 *
 * @module
 */

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
  /**
   * Longest time a client may take no byte of an answer the guard is sending it, in ms: a
   * client that does not read (a stream subscriber whose send buffer stays full) is
   * disconnected then.
   */
  readonly sendTimeoutMs: number;
}

/**
 * The default limits: 10 s for the headers, 64 KiB of them, 1,024 connections, 64 of them from
 * one client address, 30 s for a client to take a byte of its answer.
 */
export const CONNECTION_LIMITS: ConnectionLimits = {
  headerTimeoutMs: 10_000,
  maxHeaderBytes: 64 * 1024,
  maxConnections: 1024,
  maxConnectionsPerClient: 64,
  sendTimeoutMs: 30_000,
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
