/**
 * The frame both entry scripts run a recording in: logging, pipeline, shutdown signals, the
 * feed, the summary line and the exit code.
 *
 * @module
 */

import { openPipeline, type PipelineOptions } from "../app/pipeline.ts";
import { formatSummary, isCleanRun, type RunSummary } from "../app/run_summary.ts";
import { setupLogging, teardownLogging } from "../log/logging.ts";
import type { Observer } from "../observer/observer.ts";
import type { DeadLetters } from "../sinks/dead_letter.ts";
import {
  type CommonFlags,
  EXIT_INCOMPLETE,
  EXIT_OK,
  EXIT_USAGE,
  sinkTuningFrom,
} from "./options.ts";
import { abortOnShutdownSignals, FORCED_EXIT_CODE } from "./signals.ts";
import { writeAllSync } from "./stdio.ts";

/** What a feed reports back. */
export interface FeedResult {
  /** Input items that were not snapshots. */
  readonly rejected: number;
}

/**
 * Produces snapshots into the Observer until done or `signal` aborts, handing rejected lines and
 * blocked snapshots to `deadLetters`.
 */
export type Feed = (
  observer: Observer,
  signal: AbortSignal,
  deadLetters: DeadLetters,
) => Promise<FeedResult>;

/** A recording run. */
export interface RecordingRun {
  /** Project root; records go to `<root>/data/observer`. */
  readonly root: string;
  /** Parsed common flags: record file, sink tuning and log level. */
  readonly flags: CommonFlags;
  /** Further pipeline options (guard policy, stamp, clocks); file and tuning come from `flags`. */
  readonly pipeline?: Omit<PipelineOptions, "root" | "fileName" | "tuning">;
  /** Produces the snapshots of this run. */
  readonly feed: Feed;
  /** Exit used by a second shutdown signal. */
  readonly forceExit: (code: number) => void;
}

/**
 * Runs one recording and returns the exit code: {@linkcode EXIT_OK} when every input became a
 * written record, {@linkcode EXIT_INCOMPLETE} when some were rejected, blocked, dropped or not
 * written, {@linkcode EXIT_USAGE} when the pipeline could not start. The summary line goes to
 * stdout, logs to stderr. A shutdown signal stops the feed and still drains and flushes.
 */
export async function runRecording(run: RecordingRun): Promise<number> {
  await setupLogging({ level: run.flags.logLevel, write: (l) => writeAllSync(Deno.stderr, l) });
  try {
    let pipeline;
    try {
      pipeline = await openPipeline({
        ...run.pipeline,
        root: run.root,
        fileName: run.flags.file,
        tuning: sinkTuningFrom(run.flags),
      });
    } catch (error) {
      writeAllSync(Deno.stderr, `error: ${error instanceof Error ? error.message : error}\n`);
      return EXIT_USAGE;
    }
    const controller = new AbortController();
    let summary: RunSummary;
    let feedError: unknown;
    {
      using _signals = abortOnShutdownSignals(controller, () => run.forceExit(FORCED_EXIT_CODE));
      let rejected = 0;
      try {
        rejected = (await run.feed(pipeline.observer, controller.signal, pipeline.deadLetters))
          .rejected;
      } catch (error) {
        feedError = error;
      }
      summary = await pipeline.close({ rejected, interrupted: controller.signal.aborted });
    }
    writeAllSync(Deno.stdout, formatSummary(summary) + "\n");
    if (feedError !== undefined) {
      const message = feedError instanceof Error ? feedError.message : String(feedError);
      writeAllSync(Deno.stderr, `error: input stopped early: ${message}\n`);
      return EXIT_INCOMPLETE;
    }
    return isCleanRun(summary) ? EXIT_OK : EXIT_INCOMPLETE;
  } finally {
    await teardownLogging();
  }
}
