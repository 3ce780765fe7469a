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
import {
  checkUserRecordFileName,
  deadLetterFileName,
  DEFAULT_RECORD_FILE,
  observerDataDir,
  recordFilePath,
} from "../paths.ts";
import { DeadLetterFile } from "../sinks/dead_letter.ts";
import { JsonlFileSink, type JsonlFileSinkTuning } from "../sinks/jsonl_file_sink.ts";
import { acquireRecordLock } from "../sinks/record_lock.ts";
import type { Sink } from "../sinks/sink.ts";
import type { RunSummary } from "./run_summary.ts";

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
}

/** What a recording pipeline needs. */
export interface PipelineOptions extends ObserverWiring {
  /** Project root; files go to `<root>/data/observer`. */
  readonly root: string;
  /** Record file name under `data/observer`. */
  readonly fileName?: string;
  /** Sink tuning for the record and dead-letter files. Default `SINK_DEFAULTS`. */
  readonly tuning?: JsonlFileSinkTuning;
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

/** An open pipeline; {@linkcode Pipeline.close} drains it and returns the counters. */
export interface Pipeline extends AsyncDisposable {
  /** The started Observer; hand it snapshots. */
  readonly observer: Observer;
  /** The bus between the Observer and the sink. */
  readonly bus: EventBus;
  /** The record file sink. */
  readonly sink: JsonlFileSink;
  /** Where rejected lines and blocked snapshots go (`<base>.rejected.jsonl`, opened on use). */
  readonly deadLetters: DeadLetterFile;
  /** Stops the Observer, closes the bus (flush, sync, close) and returns the summary. */
  close(counts?: { rejected?: number; interrupted?: boolean }): Promise<RunSummary>;
}

/**
 * Takes the record base's lock, opens the record file and starts an Observer that writes to it;
 * rejected lines and blocked snapshots handed to `deadLetters` go to `<base>.rejected.jsonl`.
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
  const fileName = checkUserRecordFileName(options.fileName ?? DEFAULT_RECORD_FILE);
  const dir = observerDataDir(options.root);
  await Deno.mkdir(dir, { recursive: true });
  const lock = await acquireRecordLock(
    dir,
    fileName.slice(0, -".jsonl".length),
    recordFilePath(options.root, fileName),
  );
  let sink: JsonlFileSink;
  try {
    sink = await JsonlFileSink.open({
      root: options.root,
      fileName,
      logger: getObserverLogger("sink"),
      now: options.now,
      lock,
      ...options.tuning,
    });
  } catch (error) {
    lock.release();
    throw error;
  }
  const deadLetters = new DeadLetterFile({
    root: options.root,
    fileName: deadLetterFileName(fileName),
    tuning: options.tuning,
    lock,
    logger: getObserverLogger("dead-letter"),
    now: options.now,
  });
  const { observer, bus, close: closeObserver } = wireObserver([sink], options);
  let summary: RunSummary | undefined;
  const close = async (counts: { rejected?: number; interrupted?: boolean } = {}) => {
    if (summary !== undefined) return summary;
    await closeObserver();
    await deadLetters.close();
    lock.release();
    summary = {
      rejected: counts.rejected ?? 0,
      interrupted: counts.interrupted ?? false,
      observer: observer.counters,
      sink: sink.stats(),
      deadLetters: deadLetters.stats(),
    };
    return summary;
  };
  return {
    observer,
    bus,
    sink,
    deadLetters,
    close,
    async [Symbol.asyncDispose]() {
      await close();
    },
  };
}
