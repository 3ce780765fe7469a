/**
 * Feeds judged snapshot lines into an Observer, reporting rejected lines as it goes.
 *
 * @module
 */

import type { Observer } from "../observer/observer.ts";
import type { SnapshotLine } from "./snapshot_lines.ts";

/** Counts of a {@linkcode recordSnapshotLines} run. */
export interface RecordLinesResult {
  /** Snapshots handed to the Observer (dispatched or blocked). */
  readonly snapshots: number;
  /** Lines that were not snapshots. */
  readonly rejected: number;
  /** True when the signal stopped the run early. */
  readonly interrupted: boolean;
}

/** Options of {@linkcode recordSnapshotLines}. */
export interface RecordLinesOptions {
  /** Stops recording (SIGINT/SIGTERM); pass the same signal to the line reader. */
  readonly signal?: AbortSignal;
  /** Called for each line that is not a snapshot. */
  readonly onRejected?: (line: number, reason: string) => void;
  /**
   * Called, and awaited, for each line that was rejected or whose snapshot was blocked, with
   * its reasons (to write it to a dead-letter file).
   */
  readonly onDeadLetter?: (
    kind: "rejected" | "blocked",
    item: SnapshotLine,
    reasons: readonly string[],
    runId?: string,
  ) => Promise<void>;
}

/**
 * Records every snapshot line, awaiting each one so that a full sink slows the reader down
 * (input is never read faster than it is written).
 *
 * @example
 * ```ts
 * import { recordSnapshotLines } from "./record_snapshots.ts";
 * import { readLines } from "../io/line_reader.ts";
 * import type { Observer } from "../observer/observer.ts";
 * import { snapshotLines } from "./snapshot_lines.ts";
 * declare const observer: Observer;
 * await recordSnapshotLines(observer, snapshotLines(readLines(Deno.stdin.readable)));
 * ```
 */
export async function recordSnapshotLines(
  observer: Observer,
  lines: AsyncIterable<SnapshotLine>,
  options: RecordLinesOptions = {},
): Promise<RecordLinesResult> {
  let snapshots = 0;
  let rejected = 0;
  for await (const line of lines) {
    if (options.signal?.aborted) break;
    if (await recordSnapshotLine(observer, line, options) === "snapshot") snapshots++;
    else rejected++;
  }
  return { snapshots, rejected, interrupted: options.signal?.aborted ?? false };
}

/**
 * Records one judged line, as {@linkcode recordSnapshotLines} does each: a snapshot is handed to
 * the Observer (and its dead letter written when blocked), a rejected line reported and its dead
 * letter written. Resolves with what the line was once that is done.
 *
 * @example
 * ```ts
 * import { recordSnapshotLine } from "./record_snapshots.ts";
 * import { parseSnapshotLine } from "./snapshot_lines.ts";
 * import type { Observer } from "../observer/observer.ts";
 * declare const observer: Observer;
 * const line = parseSnapshotLine({ text: "[1]", number: 1, terminated: true })!;
 * await recordSnapshotLine(observer, line); // => "rejected"
 * ```
 */
export async function recordSnapshotLine(
  observer: Observer,
  line: SnapshotLine,
  options: Omit<RecordLinesOptions, "signal"> = {},
): Promise<"snapshot" | "rejected"> {
  if (line.ok) {
    const outcome = await observer.onSnapshot(line.snapshot);
    if (outcome.status === "blocked") {
      await options.onDeadLetter?.("blocked", line, outcome.reasons, outcome.runId);
    }
    return "snapshot";
  }
  options.onRejected?.(line.line, line.reason);
  await options.onDeadLetter?.("rejected", line, [line.reason]);
  return "rejected";
}
