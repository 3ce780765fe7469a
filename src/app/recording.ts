/**
 * One recording: open the pipeline, run a feed into it until it ends or is stopped, close it and
 * say what happened. No terminal, no exit codes: the CLI frames it (`cli/recording_command.ts`).
 *
 * @module
 */

import type { Observer } from "../observer/observer.ts";
import type { DeadLetters } from "../sinks/dead_letter.ts";
import { openPipeline, type Pipeline, type PipelineOptions } from "./pipeline.ts";
import type { RunSummary } from "./run_summary.ts";

/** What a feed reports back. */
export interface FeedResult {
  /** Input items that were not snapshots. */
  readonly rejected: number;
  /**
   * True when whatever a sink let go of (dropped, given up on) comes again from the source: a
   * consumer that left those messages unacked. The summary then counts them as redelivered, not
   * as lost.
   */
  readonly redeliversLetGo?: boolean;
}

/**
 * Produces snapshots into the Observer until done or `signal` aborts, handing rejected lines and
 * blocked snapshots to `deadLetters`. The whole pipeline is there for feeds that report on it
 * (the HTTP service's status).
 */
export type Feed = (
  observer: Observer,
  signal: AbortSignal,
  deadLetters: DeadLetters,
  pipeline: Pipeline,
) => Promise<FeedResult>;

/** What became of a recording. */
export interface RecordingOutcome {
  /** The counters, after the pipeline was drained and closed. */
  readonly summary: RunSummary;
  /** What made the feed stop early, if it threw (the pipeline was still closed cleanly). */
  readonly feedError?: unknown;
}

/**
 * Opens the pipeline (throws when it cannot: a bad file name, a busy or unsafe file), runs
 * `feed` until it ends or `signal` aborts, and closes the pipeline, draining and syncing every
 * sink, whatever the feed did.
 *
 * @example
 * ```ts
 * import { runRecording } from "./recording.ts";
 * const root = await Deno.makeTempDir();
 * const { summary } = await runRecording({ root }, async () => ({ rejected: 0 }));
 * summary.sinks[0].written; // => 0
 * ```
 */
export async function runRecording(
  pipelineOptions: PipelineOptions,
  feed: Feed,
  signal: AbortSignal = new AbortController().signal,
): Promise<RecordingOutcome> {
  const pipeline = await openPipeline(pipelineOptions);
  let result: FeedResult = { rejected: 0 };
  let feedError: unknown;
  // A producer waiting for a failing sink (`block`) must not hold a stopping run.
  const unblock = () => pipeline.unblock();
  if (signal.aborted) unblock();
  signal.addEventListener("abort", unblock, { once: true });
  try {
    result = await feed(pipeline.observer, signal, pipeline.deadLetters, pipeline);
  } catch (error) {
    feedError = error;
  } finally {
    signal.removeEventListener("abort", unblock);
  }
  const summary = await pipeline.close({
    rejected: result.rejected,
    interrupted: signal.aborted,
    redeliversLetGo: result.redeliversLetGo,
  });
  return feedError === undefined ? { summary } : { summary, feedError };
}
