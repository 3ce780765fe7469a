/**
 * The run summary both entry scripts print: one line a person reads, and its counters.
 *
 * @module
 */

import type { DeadLetterStats } from "../sinks/dead_letter.ts";
import type { JsonlFileSinkStats } from "../sinks/jsonl_file_sink.ts";
import type { ObserverCounters } from "../observer/observer.ts";

/** Everything the last line of a run says. */
export interface RunSummary {
  /** Input lines that were not snapshots (observer.ts only). */
  readonly rejected: number;
  /** The Observer's counters: received, dispatched, blocked, ignored. */
  readonly observer: Readonly<ObserverCounters>;
  /** The record file sink's counters and current path. */
  readonly sink: JsonlFileSinkStats;
  /** The dead-letter file: entries written there, and where. */
  readonly deadLetters: DeadLetterStats;
  /** True when a signal ended the run early. */
  readonly interrupted: boolean;
}

/** Snapshots blocked by validation or guard. */
export function blockedCount(summary: RunSummary): number {
  return summary.observer.blockedByValidation + summary.observer.blockedByGuard;
}

/** True when every input became a written record. */
export function isCleanRun(summary: RunSummary): boolean {
  return summary.rejected === 0 && blockedCount(summary) === 0 && summary.sink.dropped === 0 &&
    summary.sink.failed === 0;
}
