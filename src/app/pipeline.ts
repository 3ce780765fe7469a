/**
 * Wiring: Observer → EventBus → sinks ({@linkcode wireObserver}), and the recording pipeline
 * built on it: a locked record file, its dead-letter file, opened and closed as one unit.
 *
 * @module
 */

import { EventBus } from "../bus/event_bus.ts";
import type { RecordStamp } from "../contract/pattern_record.ts";
import { getObserverLogger } from "../log/logging.ts";
import type { GuardPolicy } from "../observer/guard.ts";
import { type GeneratedAtClock, Observer } from "../observer/observer.ts";
import type { ObserverConfig } from "../config/config_types.ts";
import { checkUserRecordFileName, DEFAULT_RECORD_FILE } from "../paths.ts";
import type { DeadLetterFile } from "../sinks/dead_letter.ts";
import { JsonlFileSink } from "../sinks/jsonl_file_sink.ts";
import type { JsonlFileSinkTuning } from "../sinks/file_sink_tuning.ts";
import type { Sink } from "../sinks/sink.ts";
import type { ByteOutput } from "../sinks/stream_sink.ts";
import {
  type ConfiguredSink,
  type ConfiguredSinks,
  flagsConfig,
  openConfiguredSinks,
} from "./configured_sinks.ts";
import type { RunSummary, SinkSummary } from "./run_summary.ts";
import type { ParallelTarget } from "../parallel/ordered_recording.ts";
import { parallelUnsupported } from "./parallel_support.ts";
import { join } from "node:path";
import type { RunningFollower } from "../follow/follower_types.ts";
import { compareLogFiles, type LogLocation } from "../follow/log_files.ts";
import {
  DEFAULT_FOLLOW_TIMEOUT_SECONDS,
  finishFollowers,
  followerSinkSummary,
  openFollowers,
} from "./followers.ts";
import { type FollowerSinkConfig, logLocation, recordingLayout } from "./recording_log.ts";

/** How the Observer of a pipeline judges and stamps snapshots. */
export interface ObserverWiring {
  /** Extra guard rules. Default none. */
  readonly guardPolicy?: GuardPolicy;
  /** Names stamped into each record. Default `DEFAULT_RECORD_STAMP`. */
  readonly stamp?: RecordStamp;
  /** Where `generated_at` comes from. Default `wall`. */
  readonly generatedAt?: GeneratedAtClock;
  /** Clock for the guard, `generated_at` and rotation. Default `Date.now`. */
  readonly now?: () => number;
  /** Also dispatch blocked snapshots as records (a review sink asks for them). Default false. */
  readonly dispatchBlocked?: boolean;
}

/** What a recording pipeline needs. */
export interface PipelineOptions extends ObserverWiring {
  /** Project root; files go to `<root>/data/observer`. */
  readonly root: string;
  /** Record file name under `data/observer`. */
  readonly fileName?: string;
  /** Sink tuning for the record and dead-letter files. Default `SINK_DEFAULTS`. */
  readonly tuning?: JsonlFileSinkTuning;
  /**
   * The sinks from a configuration file; when given, `fileName` and `tuning` are not used.
   * Default: one JSONL sink, `fileName` with `tuning`.
   */
  readonly config?: ObserverConfig;
  /** Where `stdout` sinks write; needed only when the configuration has one. */
  readonly stdout?: ByteOutput;
  /**
   * Parallel recording of file inputs: `count` workers (1, the default: one thread). A pipeline
   * that cannot record in parallel (see `parallel_support.ts`) records on one thread, or, when
   * `required`, is refused before anything is opened.
   */
  readonly workers?: { readonly count: number; readonly required?: boolean };
  /**
   * How long closing waits for the followers of the log to deliver all of it, in ms. Default
   * {@linkcode DEFAULT_FOLLOW_TIMEOUT_SECONDS} s.
   */
  readonly followTimeoutMs?: number;
}

/** An Observer started on a bus over some sinks. */
export interface WiredObserver {
  /** The started Observer; hand it snapshots. */
  readonly observer: Observer;
  /** The bus it dispatches records on, over the given sinks. */
  readonly bus: EventBus;
  /** Stops the Observer and closes the bus (every sink flushes and closes). Idempotent. */
  close(): Promise<void>;
}

/**
 * The one wiring of Observer → EventBus → sinks, for the recording pipeline and for anything
 * else that runs snapshots through an Observer (the report does, into an in-memory collector).
 *
 * @example
 * ```ts
 * import { wireObserver } from "./pipeline.ts";
 * import type { Sink } from "../sinks/sink.ts";
 * declare const sink: Sink;
 * const { observer, close } = wireObserver([sink], { generatedAt: "snapshot" });
 * await close();
 * ```
 */
export function wireObserver(sinks: readonly Sink[], options: ObserverWiring = {}): WiredObserver {
  const bus = new EventBus(sinks, getObserverLogger("bus"));
  const observer = new Observer({
    bus,
    logger: getObserverLogger("observer"),
    guardPolicy: options.guardPolicy,
    stamp: options.stamp,
    now: options.now,
    generatedAt: options.generatedAt,
    dispatchBlocked: options.dispatchBlocked,
  });
  observer.start();
  return {
    observer,
    bus,
    async close() {
      observer.stop();
      await bus.close();
    },
  };
}

/** How long a run stopped by a signal waits for its followers at most, in ms. */
export const INTERRUPTED_FOLLOW_TIMEOUT_MS = 5_000;

/** What the feed tells {@linkcode Pipeline.close} for the summary. */
export interface CloseCounts {
  /** Input items that were not snapshots. */
  readonly rejected?: number;
  /** True when a signal ended the run early. */
  readonly interrupted?: boolean;
  /** True when what the sinks let go of comes again from the source (see `FeedResult`). */
  readonly redeliversLetGo?: boolean;
}

/** An open pipeline; {@linkcode Pipeline.close} drains it and returns the counters. */
export interface Pipeline extends AsyncDisposable {
  /** The started Observer; hand it snapshots. */
  readonly observer: Observer;
  /** The bus between the Observer and the sinks. */
  readonly bus: EventBus;
  /** The sinks, in configuration order, each behind its filter and sampler. */
  readonly sinks: readonly ConfiguredSink[];
  /** Where rejected lines and blocked snapshots go (`<base>.rejected.jsonl`, opened on use). */
  readonly deadLetters: DeadLetterFile;
  /**
   * Where file inputs are recorded in parallel: set when `workers.count` is 2 or more and the
   * pipeline allows it; feeds hand it to `replayFiles`.
   */
  readonly parallel?: ParallelTarget;
  /** The followers of the log (network sinks), running. */
  readonly followers: readonly RunningFollower[];
  /**
   * Lets producers waiting for room in any sink go on at once (the run is stopping); see
   * `Sink.unblock`.
   */
  unblock(): void;
  /**
   * Stops the Observer, closes the bus (flush, sync, close), gives the followers until the
   * follow timeout to deliver the whole log, and returns the summary.
   */
  close(counts?: CloseCounts): Promise<RunSummary>;
}

/**
 * Records the sinks and the dead-letter file of `pipeline` have let go of so far: dropped by a
 * full queue's policy or given up on while failing. A rise while something was recorded means a
 * record of it may not be where it should be (the service then answers 503, consume does not ack).
 *
 * @example
 * ```ts
 * import { recordsLetGo, type Pipeline } from "./pipeline.ts";
 * declare const pipeline: Pipeline;
 * const before = recordsLetGo(pipeline);
 * // ... record ...
 * const lost = recordsLetGo(pipeline) - before;
 * ```
 */
export function recordsLetGo(pipeline: Pick<Pipeline, "sinks" | "deadLetters">): number {
  let lost = pipeline.deadLetters.stats().failed;
  for (const { sink } of pipeline.sinks) {
    const stats = sink.stats();
    lost += stats.dropped + stats.failed;
  }
  return lost;
}

const noStdout: ByteOutput = {
  write() {
    return Promise.reject(new Error("no stdout was handed to the pipeline (options.stdout)"));
  },
};

/** The oldest log file some follower has not finished (undefined: none needs one). */
function oldestNeeded(followers: readonly RunningFollower[], base: string): string | undefined {
  let oldest: string | undefined;
  for (const follower of followers) {
    const file = follower.stats().position?.file;
    if (file === undefined) return ""; // it has not begun: every file is still needed
    if (oldest === undefined || compareLogFiles(base, file, oldest) < 0) oldest = file;
  }
  return oldest;
}

function sinkSummary({ config, sink, path }: ConfiguredSink): SinkSummary {
  return {
    name: config.name,
    type: config.type,
    path: path?.(),
    selective: config.filter !== undefined || config.sample !== undefined,
    ...sink.stats(),
  };
}

/**
 * Opens the sinks (the configuration's, or one record file), each JSONL file under its lock, and
 * starts an Observer that writes to them; rejected lines and blocked snapshots handed to
 * `deadLetters` go to `<base>.rejected.jsonl` beside the first JSONL sink's file.
 *
 * @example
 * ```ts
 * import { openPipeline } from "./pipeline.ts";
 * import type { ObservationSnapshot } from "../contract/snapshot.ts";
 * declare const root: string;
 * declare const snapshot: ObservationSnapshot;
 * const pipeline = await openPipeline({ root });
 * await pipeline.observer.onSnapshot(snapshot);
 * const summary = await pipeline.close();
 * ```
 */
export async function openPipeline(options: PipelineOptions): Promise<Pipeline> {
  const config = options.config ??
    flagsConfig(checkUserRecordFileName(options.fileName ?? DEFAULT_RECORD_FILE), options.tuning);
  const layout = recordingLayout(config);
  const workers = options.workers?.count ?? 1;
  const unsupported = parallelProblem(workers, layout.bus, options);
  let followers: RunningFollower[] = [];
  const log = layout.log === undefined ? undefined : logLocation(options.root, layout.log);
  const opened = await openConfiguredSinks(layout.bus, {
    root: options.root,
    stdout: options.stdout ?? noStdout,
    now: options.now,
    log: layout.log === undefined || layout.followers.length === 0 ? undefined : {
      file: layout.log.file,
      onWritten: () => {
        for (const follower of followers) follower.wake();
      },
      retainFrom: () => Promise.resolve(oldestNeeded(followers, log!.base)),
    },
  });
  const { deadLetters } = opened;
  if (log !== undefined && layout.followers.length > 0) {
    followers = await openFollowersOrClose(layout.followers, log, opened);
  }
  const { observer, bus, close: closeObserver } = wireObserver(
    opened.sinks.map((s) => s.sink),
    { ...options, dispatchBlocked: options.dispatchBlocked ?? opened.takesBlocked },
  );
  let summary: RunSummary | undefined;
  const close = async (counts: CloseCounts = {}) => {
    if (summary !== undefined) return summary;
    await closeObserver();
    await deadLetters.close();
    opened.release();
    const followed = await finishFollowers(
      followers,
      log?.base ?? "",
      followTimeoutMs(options, counts),
    );
    const sinks = opened.sinks.map(sinkSummary);
    logSelectiveSinks(sinks);
    summary = {
      rejected: counts.rejected ?? 0,
      interrupted: counts.interrupted ?? false,
      redelivered: counts.redeliversLetGo ? recordsLetGo(opened) : 0,
      observer: observer.counters,
      sinks: [
        ...sinks,
        ...followed.map((f, i) => followerSinkSummary(f, layout.followers[i].type)),
      ],
      deadLetters: deadLetters.stats(),
      log: log === undefined || layout.log === undefined || followers.length === 0
        ? undefined
        : { path: join(log.dir, layout.log.file), implicit: layout.implicitLog },
    };
    return summary;
  };
  const parallel = unsupported === undefined
    ? parallelTarget(workers, opened.sinks, observer, options)
    : undefined;
  return {
    observer,
    bus,
    sinks: opened.sinks,
    followers,
    deadLetters,
    parallel,
    close,
    unblock() {
      for (const { sink } of opened.sinks) sink.unblock();
      deadLetters.unblock();
    },
    async [Symbol.asyncDispose]() {
      await close();
    },
  };
}

/**
 * Why this run cannot record in parallel (undefined: it can, or it has one worker); throws
 * when the workers were required.
 */
function parallelProblem(
  workers: number,
  bus: ObserverConfig,
  options: PipelineOptions,
): string | undefined {
  const unsupported = workers > 1 ? parallelUnsupported(bus, options) : undefined;
  if (unsupported !== undefined && options.workers?.required) {
    throw new Error(
      `--workers ${workers}: parallel recording writes one JSONL file; ${unsupported}: ` +
        "use --workers 1 (see README, Parallel recording)",
    );
  }
  return unsupported;
}

/** Where parallel recording writes: the one JSONL sink, with more than one worker. */
function parallelTarget(
  workers: number,
  sinks: readonly ConfiguredSink[],
  observer: Observer,
  options: ObserverWiring,
): ParallelTarget | undefined {
  const only = sinks[0]?.sink.inner;
  if (workers <= 1 || !(only instanceof JsonlFileSink)) return undefined;
  const { guardPolicy, stamp, generatedAt } = options;
  return { workers, judge: { guardPolicy, stamp, generatedAt }, observer, sink: only };
}

/** Opens the followers of the log; when that fails, closes what was opened and throws. */
async function openFollowersOrClose(
  specs: readonly FollowerSinkConfig[],
  log: LogLocation,
  opened: ConfiguredSinks,
): Promise<RunningFollower[]> {
  try {
    return await openFollowers(specs, log);
  } catch (error) {
    for (const { sink } of opened.sinks) await sink.close();
    await opened.deadLetters.close();
    opened.release();
    throw error;
  }
}

/**
 * How long the followers may take to deliver the rest of the log. A run stopped by a signal
 * waits a short while only: a live destination takes the tail in that time, and a dead one
 * must not hold a Ctrl+C (the checkpoint keeps the place).
 */
function followTimeoutMs(options: PipelineOptions, counts: CloseCounts): number {
  const timeoutMs = options.followTimeoutMs ?? DEFAULT_FOLLOW_TIMEOUT_SECONDS * 1000;
  return counts.interrupted ? Math.min(timeoutMs, INTERRUPTED_FOLLOW_TIMEOUT_MS) : timeoutMs;
}

/** Logs what each sink with a filter or sampling kept and left out. */
function logSelectiveSinks(sinks: readonly SinkSummary[]): void {
  const logger = getObserverLogger("sink");
  for (const sink of sinks.filter((s) => s.selective)) {
    logger.info("Sink {sink}: {written} written, {filtered} filtered out, {sampled} sampled out", {
      sink: sink.name,
      written: sink.written,
      filtered: sink.filtered,
      sampled: sink.sampled,
    });
  }
}
