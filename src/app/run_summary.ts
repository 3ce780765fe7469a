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

/**
 * One line: records written, blocked, rejected, dropped, not written (and why), the file.
 *
 * @example
 * ```ts
 * import { formatSummary, type RunSummary } from "./run_summary.ts";
 * declare const summary: RunSummary;
 * formatSummary(summary);
 * // => "summary: written=40 blocked=0 rejected=0 dropped=0 not_written=0 file=/srv/qts/data/observer/observer.jsonl"
 * ```
 */
export function formatSummary(summary: RunSummary): string {
  const parts = [
    `written=${summary.sink.written}`,
    `blocked=${blockedCount(summary)}`,
    `rejected=${summary.rejected}`,
    `dropped=${summary.sink.dropped}`,
    `not_written=${summary.sink.failed}`,
  ];
  if (summary.sink.failed > 0 && summary.sink.failure !== undefined) {
    parts.push(`not_written_reason=${JSON.stringify(summary.sink.failure)}`);
  }
  if (summary.interrupted) parts.push("interrupted=true");
  parts.push(`file=${summary.sink.path}`);
  const letters = summary.deadLetters;
  if (letters.entries > 0) {
    parts.push(`dead_letters=${letters.entries - letters.failed}`);
    if (letters.path !== undefined) parts.push(`dead_letter_file=${letters.path}`);
    if (letters.failed > 0) parts.push(`dead_letters_not_written=${letters.failed}`);
  }
  return `summary: ${parts.join(" ")}`;
}
