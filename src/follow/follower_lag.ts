/**
 * How far behind its log a follower is, measured from its checkpoint's position: the bytes of the
 * log after it, and its lines when there are few enough to count.
 *
 * @module
 */

import type { LogLocation } from "./log_files.ts";
import { type LogPosition, LogReader } from "./log_reader.ts";
import type { FollowerLag } from "./follower_types.ts";

/** Default bytes behind up to which the lines are counted: 256 MiB. */
export const DEFAULT_COUNT_LINES_UP_TO = 256 * 1024 * 1024;

/** Where a follower stands and when it was last at the end of the log. */
export interface LagPoint {
  /** The checkpoint's position (undefined: it has not begun; the whole log is behind). */
  readonly position?: LogPosition;
  /** Epoch ms when it was last at the end of the log (undefined: never). */
  readonly caughtUpAt?: number;
  /** Epoch ms now. */
  readonly now: number;
}

/**
 * The lag of a follower at `point` of `log`: bytes behind, and lines when at most
 * `countLinesUpTo` bytes are behind.
 *
 * @example
 * ```ts
 * import { measureLag } from "./follower_lag.ts";
 * const dir = await Deno.makeTempDir();
 * await measureLag({ dir, base: "observer" }, { now: Date.now() }); // => { bytes: 0, records: 0, ... }
 * ```
 */
export async function measureLag(
  log: LogLocation,
  point: LagPoint,
  countLinesUpTo = DEFAULT_COUNT_LINES_UP_TO,
): Promise<FollowerLag> {
  const measure = new LogReader(log, point.position);
  const bytes = await measure.bytesBehind();
  const records = bytes === 0 ? 0 : await measure.linesBehind(countLinesUpTo, bytes);
  const caughtUp = bytes === 0;
  const since = point.caughtUpAt;
  return {
    bytes,
    records,
    wallSeconds: caughtUp || since === undefined ? 0 : (point.now - since) / 1000,
    eventSeconds: caughtUp ? 0 : undefined,
  };
}
