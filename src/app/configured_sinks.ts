/**
 * Turns a configuration's sink descriptions into open sinks, each behind its filter and sampler,
 * plus the dead-letter file that goes with the first JSONL sink.
 *
 * @module
 */

import type { JsonlSinkConfig, ObserverConfig, SinkConfig } from "../config/config_types.ts";
import { getObserverLogger } from "../log/logging.ts";
import {
  deadLetterFileName,
  DEFAULT_RECORD_FILE,
  observerDataDir,
  recordFilePath,
} from "../paths.ts";
import { DeadLetterFile } from "../sinks/dead_letter.ts";
import { JsonlFileSink } from "../sinks/jsonl_file_sink.ts";
import type { JsonlFileSinkTuning } from "../sinks/file_sink_tuning.ts";
import { compileFilter, mentionsGuard } from "../sinks/record_filter.ts";
import { compileSampler } from "../sinks/record_sampler.ts";
import { acquireRecordLock, type RecordLock } from "../sinks/record_lock.ts";
import { type SelectedSink, withSelection } from "../sinks/selected_sink.ts";
import type { Sink } from "../sinks/sink.ts";
import { type ByteOutput, LineStreamSink } from "../sinks/stream_sink.ts";

/** The configuration the flags describe: one JSONL sink taking every passed record. */
export function flagsConfig(fileName: string, tuning: JsonlFileSinkTuning = {}): ObserverConfig {
  return { sinks: [{ type: "jsonl", name: fileName, file: fileName, tuning }] };
}

/** An open sink with what the summary says about it. */
export interface ConfiguredSink {
  /** Its description. */
  readonly config: SinkConfig;
  /** The sink behind its filter and sampler (what the bus feeds). */
  readonly sink: SelectedSink;
  /** The file it writes (JSONL sinks). */
  readonly path?: () => string;
}

/** Everything a configuration opened. */
export interface ConfiguredSinks {
  /** The sinks, in configuration order. */
  readonly sinks: readonly ConfiguredSink[];
  /** Where rejected lines and blocked snapshots go: beside the first JSONL sink's file. */
  readonly deadLetters: DeadLetterFile;
  /** True when some sink's filter asks for blocked snapshots (tests `guard`). */
  readonly takesBlocked: boolean;
  /** Releases the dead-letter file's lock (after the sinks and dead letters are closed). */
  release(): void;
}

/** What opening the sinks needs. */
export interface OpenSinksOptions {
  /** Project root; files go to `<root>/data/observer`. */
  readonly root: string;
  /** Where `stdout` sinks write. */
  readonly stdout: ByteOutput;
  /** Clock for rotation. Default `Date.now`. */
  readonly now?: () => number;
  /** The recording's log, when followers read it: the JSONL sink writing `file` tells them. */
  readonly log?: {
    /** The log's file name (a `jsonl` sink of the configuration). */
    readonly file: string;
    /** Called after each batch written to it. */
    readonly onWritten: () => void;
    /** The oldest log file a follower still needs (retention keeps it and what follows). */
    readonly retainFrom: () => Promise<string | undefined>;
  };
}

function selected(config: SinkConfig, sink: Sink): SelectedSink {
  return withSelection(sink, {
    filter: config.filter === undefined ? undefined : compileFilter(config.filter),
    sampler: config.sample === undefined ? undefined : compileSampler(config.sample),
    takesBlocked: config.filter !== undefined && mentionsGuard(config.filter),
  });
}

/**
 * Opens every sink of `config` in order (each JSONL file under its own lock), and the
 * dead-letter file of the first JSONL sink (`observer.rejected.jsonl` when there is none). When
 * one cannot be opened, those already open are closed and the error is thrown.
 *
 * @example
 * ```ts
 * import { flagsConfig, openConfiguredSinks } from "./configured_sinks.ts";
 * const root = await Deno.makeTempDir();
 * const opened = await openConfiguredSinks(flagsConfig("a.jsonl"), { root, stdout: Deno.stdout });
 * ```
 */
export async function openConfiguredSinks(
  config: ObserverConfig,
  options: OpenSinksOptions,
): Promise<ConfiguredSinks> {
  const dir = observerDataDir(options.root);
  await Deno.mkdir(dir, { recursive: true });
  const opened: ConfiguredSink[] = [];
  const locks: RecordLock[] = [];
  let deadLetterLock: RecordLock | undefined;
  let deadLetterFile: string | undefined;
  try {
    for (const sinkConfig of config.sinks) {
      if (sinkConfig.type === "stdout") {
        const sink = new LineStreamSink({
          out: options.stdout,
          name: sinkConfig.name,
          logger: getObserverLogger("sink"),
          ...sinkConfig.tuning,
        });
        opened.push({ config: sinkConfig, sink: selected(sinkConfig, sink) });
        continue;
      }
      if (sinkConfig.type === "postgres" || sinkConfig.type === "nats") {
        throw new Error(
          `sink ${sinkConfig.name}: a ${sinkConfig.type} sink follows the record log ` +
            "(app/followers.ts), expected it out of the bus's sinks (recordingLayout)",
        );
      }
      const { sink, lock } = await openJsonlSink(sinkConfig, dir, options, locks);
      opened.push({ config: sinkConfig, sink: selected(sinkConfig, sink), path: () => sink.path });
      if (deadLetterLock === undefined) {
        deadLetterLock = lock;
        deadLetterFile = deadLetterFileName(sinkConfig.file);
      }
    }
    if (deadLetterLock === undefined) {
      deadLetterFile = deadLetterFileName(DEFAULT_RECORD_FILE);
      deadLetterLock = await acquireRecordLock(
        dir,
        DEFAULT_RECORD_FILE.slice(0, -".jsonl".length),
        recordFilePath(options.root, deadLetterFile),
      );
      locks.push(deadLetterLock);
    }
  } catch (error) {
    for (const { sink } of opened) await sink.close();
    for (const lock of locks) lock.release();
    throw error;
  }
  const firstJsonl = config.sinks.find((s) => s.type === "jsonl");
  const deadLetters = new DeadLetterFile({
    root: options.root,
    fileName: deadLetterFile!,
    tuning: firstJsonl?.type === "jsonl" ? firstJsonl.tuning : undefined,
    lock: deadLetterLock,
    logger: getObserverLogger("dead-letter"),
    now: options.now,
  });
  return {
    sinks: opened,
    deadLetters,
    takesBlocked: opened.some(({ config }) =>
      config.filter !== undefined && mentionsGuard(config.filter)
    ),
    release() {
      for (const lock of locks) lock.release();
    },
  };
}

/** Opens a JSONL sink under the lock of its file's base (added to `locks` once taken). */
async function openJsonlSink(
  config: JsonlSinkConfig,
  dir: string,
  options: OpenSinksOptions,
  locks: RecordLock[],
): Promise<{ sink: JsonlFileSink; lock: RecordLock }> {
  const base = config.file.slice(0, -".jsonl".length);
  const lock = await acquireRecordLock(dir, base, recordFilePath(options.root, config.file));
  locks.push(lock);
  const sink = await JsonlFileSink.open({
    root: options.root,
    fileName: config.file,
    name: config.name,
    logger: getObserverLogger("sink"),
    now: options.now,
    lock,
    ...config.tuning,
    ...(options.log?.file === config.file
      ? { onBatchWritten: options.log.onWritten, retainFrom: options.log.retainFrom }
      : {}),
  });
  return { sink, lock };
}
