/**
 * The limits of the HTTP service: the connection guard's (headers, connections, stalled sends)
 * and the ingest route's (bodies, lines, requests at once, waits).
 *
 * @module
 */

import { CONNECTION_LIMITS, type ConnectionLimits } from "./connection_limits.ts";

/** Limits of the service; each refusal is a clear 4xx or 503. */
export interface ServerLimits extends ConnectionLimits {
  /** Largest request body, in bytes after decompression (413 beyond). */
  readonly maxBodyBytes: number;
  /** Most lines in one request (413 beyond). */
  readonly maxLines: number;
  /** Longest line, in bytes (the line is rejected, the others recorded). */
  readonly maxLineBytes: number;
  /** Ingest requests handled at once (503 with `Retry-After` beyond). */
  readonly maxConcurrentRequests: number;
  /**
   * Ingest requests handled at once for one client address (503 with `Retry-After` beyond), so
   * that one client's slow bodies cannot hold every slot.
   */
  readonly maxRequestsPerClient: number;
  /**
   * How long a request waits for room in full sink queues before it is refused with 503 and
   * nothing of it recorded, in ms.
   */
  readonly backpressureWaitMs: number;
  /** Time to receive a whole ingest body once its headers came, in ms (408 beyond). */
  readonly bodyTimeoutMs: number;
}

/** The port `observer.ts serve` listens on by default (on 127.0.0.1). */
export const DEFAULT_SERVE_PORT = 8089;

/**
 * The default limits: 4 MiB bodies, 10,000 lines, 1 MiB lines, 8 requests at once (4 from one
 * client address), 2 s of
 * waiting for full queues, 30 s for a body; and the connection limits (10 s for the headers,
 * 64 KiB of them, 1,024 connections, 30 s for a stalled send).
 */
export const SERVER_LIMITS: ServerLimits = {
  ...CONNECTION_LIMITS,
  maxBodyBytes: 4 * 1024 * 1024,
  maxLines: 10_000,
  maxLineBytes: 1024 * 1024,
  maxConcurrentRequests: 8,
  maxRequestsPerClient: 4,
  backpressureWaitMs: 2000,
  bodyTimeoutMs: 30_000,
};
