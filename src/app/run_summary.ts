/**
 * The run summary both entry scripts print: one line a person reads, and its counters.
 *
 * @module
 */

import type { DeadLetterStats } from "../sinks/dead_letter.ts";
import type { ObserverCounters } from "../observer/observer.ts";
import type { SelectedSinkStats } from "../sinks/selected_sink.ts";
import type { FollowerSummary } from "../follow/follower.ts";

/** What a run says about one sink. */
export interface SinkSummary extends SelectedSinkStats {
  /** The sink's name. */
  readonly name: string;
  /** Its kind: `jsonl`, `stdout`, ... */
  readonly type: string;
  /** The file it writes (last one, when rotating), for file sinks. */
  readonly path?: string;
  /** True when the sink has a filter or sampling. */
  readonly selective: boolean;
  /** For a sink that follows the log: where it stopped and how far behind. */
  readonly follower?: FollowerSummary;
}

/** Everything the last line of a run says. */
export interface RunSummary {
  /** Input lines that were not snapshots (observer.ts only). */
  readonly rejected: number;
  /** The Observer's counters: received, dispatched, blocked, ignored. */
  readonly observer: Readonly<ObserverCounters>;
  /** Each sink's counters, in configuration order. */
  readonly sinks: readonly SinkSummary[];
  /** The dead-letter file: entries written there, and where. */
  readonly deadLetters: DeadLetterStats;
  /** True when a signal ended the run early. */
  readonly interrupted: boolean;
  /**
   * Records the sinks let go of (dropped or not written) that the source delivers again: consume
   * left their messages unacked. Not losses; the totals leave them out.
   */
  readonly redelivered?: number;
  /** The log the followers read, when there are any (`implicit`: made for them). */
  readonly log?: { readonly path: string; readonly implicit: boolean };
}

/** Snapshots blocked by validation or guard. */
export function blockedCount(summary: RunSummary): number {
  return summary.observer.blockedByValidation + summary.observer.blockedByGuard;
}

/** Records dropped by full queues, over all sinks, less those the source delivers again. */
export function droppedCount(summary: RunSummary): number {
  const dropped = summary.sinks.reduce((n, s) => n + s.dropped, 0);
  return Math.max(0, dropped - (summary.redelivered ?? 0));
}

/**
 * Records given up on because a destination failed, over all sinks, less those the source
 * delivers again (what {@linkcode droppedCount} did not take of them).
 */
export function notWrittenCount(summary: RunSummary): number {
  const failed = summary.sinks.reduce((n, s) => n + s.failed, 0);
  const dropped = summary.sinks.reduce((n, s) => n + s.dropped, 0);
  const redeliveredFailures = Math.max(0, (summary.redelivered ?? 0) - dropped);
  return Math.max(0, failed - redeliveredFailures);
}

/** The followers that stopped before delivering the whole log. */
export function followersBehind(summary: Pick<RunSummary, "sinks">): FollowerSummary[] {
  return summary.sinks.flatMap((s) =>
    s.follower !== undefined && s.follower.lag.bytes > 0 ? [s.follower] : []
  );
}

/**
 * True when every input became a record, every sink wrote every record it selected and every
 * follower delivered the whole log.
 */
export function isCleanRun(summary: RunSummary): boolean {
  return summary.rejected === 0 && blockedCount(summary) === 0 && droppedCount(summary) === 0 &&
    notWrittenCount(summary) === 0 && followersBehind(summary).length === 0;
}
