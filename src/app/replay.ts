/**
 * Replay: feeds the snapshots of record files, snapshot files or market archives through an
 * Observer, file after file, line after line.
 *
 * @module
 */

import type { Observer } from "../observer/observer.ts";
import {
  type BadLine,
  inputName,
  openRecordInput,
  type RecordInput,
} from "../records/record_reader.ts";
import { type InputFormat, readSnapshotInputs } from "../sources/snapshot_inputs.ts";
import { deadLetterEntry, type DeadLetterInputFormat } from "../contract/dead_letter_entry.ts";
import type { DeadLetters } from "../sinks/dead_letter.ts";
import type { TextLine } from "../io/line_reader.ts";
import { parseSnapshotLine } from "../sources/snapshot_lines.ts";
import {
  type RecordLinesOptions,
  recordSnapshotLine,
  recordSnapshotLines,
} from "../sources/record_snapshots.ts";
import { ChunkWorkers } from "../parallel/chunk_workers.ts";
import {
  type ParallelRecordOptions,
  type ParallelTarget,
  recordChunksInParallel,
  recordInParallel,
  type SourceChunk,
} from "../parallel/ordered_recording.ts";
import { getObserverLogger } from "../log/logging.ts";

/** Options of {@linkcode replayFiles}. */
export interface ReplayOptions {
  /** How to read the input lines. Default `auto` (decided by the first line). */
  readonly format?: InputFormat;
  /** `meta.mode` for snapshots made from KIS archives. */
  readonly mode?: string;
  /** Stops the replay (SIGINT/SIGTERM). */
  readonly signal?: AbortSignal;
  /** Longest line read, in bytes. Default `DEFAULT_MAX_LINE_BYTES`. */
  readonly maxLineBytes?: number;
  /** Called for each input line that yields no snapshot. */
  readonly onRejected?: (file: string, line: number, reason: string) => void;
  /** Called for each file once its format is known. */
  readonly onFormat?: (file: string, format: string) => void;
  /** Called for a torn last line of a record file. */
  readonly onTornTail?: (bad: BadLine) => void;
  /** Called with the byte count of every chunk read (progress). */
  readonly onBytes?: (bytes: number) => void;
  /** Where rejected lines and blocked snapshots are written, with their original text. */
  readonly deadLetters?: DeadLetters;
  /** Clock for dead-letter entries. Default `Date.now`. */
  readonly now?: () => number;
  /**
   * Record files in parallel, in input order, through this target's workers (see
   * `parallel/ordered_recording.ts`); {@linkcode replayFiles} only. Default: one thread.
   */
  readonly parallel?: ParallelTarget;
}

/** What a replay fed. */
export interface ReplayResult {
  /** Snapshots handed to the Observer (dispatched or blocked). */
  readonly snapshots: number;
  /** Input lines that yielded no snapshot. */
  readonly rejected: number;
}

/**
 * Records one input stream (stdin, say) into `observer`: its lines judged as the format says
 * (`auto` looks at the first line), each snapshot recorded, each other line reported.
 *
 * @example
 * ```ts
 * import { recordStream } from "./replay.ts";
 * import type { Observer } from "../observer/observer.ts";
 * declare const observer: Observer;
 * await recordStream(observer, "stdin", Deno.stdin.readable, { format: "snapshots" });
 * ```
 */
export async function recordStream(
  observer: Observer,
  name: string,
  stream: ReadableStream<Uint8Array>,
  options: ReplayOptions = {},
): Promise<ReplayResult> {
  const callbacks = inputCallbacks(name, options);
  return await recordSnapshotLines(
    observer,
    readSnapshotInputs(name, stream, {
      format: options.format,
      mode: options.mode,
      signal: options.signal,
      onBytes: options.onBytes,
      maxLineBytes: options.maxLineBytes,
      onFormat: callbacks.onFormat,
      onTornTail: callbacks.onTornTail,
    }),
    callbacks,
  );
}

/**
 * {@linkcode recordStream} through `workers` into `target`: the same lines, verdicts, reports
 * and dead letters, judged in parallel and written in input order (see
 * `parallel/ordered_recording.ts`). The input is a byte stream, or chunks already cut (the
 * messages of a consumer, `parallel/message_chunks.ts`). `chunks` passes the options only
 * parallel recording has: the chunk size, a pool of buffers shared with other recordings, the
 * records of each chunk as accepted (for a live stream).
 *
 * @example
 * ```ts
 * import { recordStreamInParallel } from "./replay.ts";
 * import { ChunkWorkers } from "../parallel/chunk_workers.ts";
 * import type { ParallelTarget } from "../parallel/ordered_recording.ts";
 * declare const target: ParallelTarget;
 * declare const file: Deno.FsFile;
 * await using workers = new ChunkWorkers(target.workers, target.judge);
 * await recordStreamInParallel(workers, target, "in.jsonl", file.readable, { format: "auto" });
 * ```
 */
export async function recordStreamInParallel(
  workers: ChunkWorkers,
  target: ParallelTarget,
  name: string,
  stream: ReadableStream<Uint8Array> | AsyncIterable<SourceChunk>,
  options: Omit<ReplayOptions, "parallel"> = {},
  chunks: Pick<ParallelRecordOptions, "blockedRecords" | "onChunk" | "chunkBytes" | "buffers"> = {},
): Promise<ReplayResult> {
  const parallelOptions: ParallelRecordOptions = {
    ...inputCallbacks(name, options),
    ...chunks,
    format: options.format,
    mode: options.mode,
    maxLineBytes: options.maxLineBytes,
    onBytes: options.onBytes,
    logger: getObserverLogger("parallel"),
  };
  return stream instanceof ReadableStream
    ? await recordInParallel(workers, target, name, stream, parallelOptions)
    : await recordChunksInParallel(workers, target, name, stream, parallelOptions);
}

/**
 * The callbacks of a recording from `name`, whichever path records it: the format settled,
 * rejected lines reported and dead letters written with it.
 */
function inputCallbacks(name: string, options: ReplayOptions) {
  let format: DeadLetterInputFormat = "snapshots";
  return {
    signal: options.signal,
    onFormat: (detected: InputFormat) => {
      if (detected === "auto") return;
      format = detected === "dead-letter" ? format : detected;
      options.onFormat?.(name, detected);
    },
    onTornTail: options.onTornTail,
    onRejected: (line: number, reason: string) => options.onRejected?.(name, line, reason),
    onDeadLetter: deadLetterWriter(
      options.deadLetters,
      name,
      () => format,
      options.now ?? Date.now,
    ),
  };
}

/** The `onDeadLetter` of a recording from `name`: entries with the original text, or nothing. */
function deadLetterWriter(
  deadLetters: DeadLetters | undefined,
  name: string,
  format: () => DeadLetterInputFormat,
  now: () => number,
): RecordLinesOptions["onDeadLetter"] {
  if (deadLetters === undefined) return undefined;
  return (kind, item, reasons, runId) =>
    deadLetters.add(deadLetterEntry({
      kind,
      input: name,
      format: item.format ?? format(),
      source: item.source,
      reasons,
      runId,
      now: now(),
    }));
}

/**
 * Records items that are already apart (the elements of a JSON array body, say), each judged as
 * a snapshot line: the same parser, validation, guard and dead letters as {@linkcode
 * recordStream}.
 *
 * @example
 * ```ts
 * import { recordTextLines } from "./replay.ts";
 * import type { Observer } from "../observer/observer.ts";
 * declare const observer: Observer;
 * await recordTextLines(observer, "request", [{ text: "{}", number: 1, terminated: true }]);
 * ```
 */
export async function recordTextLines(
  observer: Observer,
  name: string,
  lines: Iterable<TextLine> | AsyncIterable<TextLine>,
  options: ReplayOptions = {},
): Promise<ReplayResult> {
  const record = textLineRecorder(observer, name, options);
  let snapshots = 0;
  let rejected = 0;
  for await (const line of lines) {
    if (options.signal?.aborted) break;
    const outcome = await record(line);
    if (outcome === "snapshot") snapshots++;
    else if (outcome === "rejected") rejected++;
  }
  return { snapshots, rejected };
}

/**
 * What became of one text line handed to a {@linkcode textLineRecorder}: a snapshot for the
 * Observer, a rejected line, or nothing (a blank line).
 */
export type TextLineOutcome = "snapshot" | "rejected" | undefined;

/**
 * Records text lines one at a time, each as {@linkcode recordTextLines} does (for a caller that
 * must know when each one is done, such as a consumer that acknowledges it afterwards). The
 * returned function resolves once the line was handed to the Observer and its dead letter, if
 * any, was queued.
 *
 * @example
 * ```ts
 * import { textLineRecorder } from "./replay.ts";
 * import type { Observer } from "../observer/observer.ts";
 * declare const observer: Observer;
 * const record = textLineRecorder(observer, "nats:QTS");
 * await record({ text: "not json", number: 7, terminated: true }); // => "rejected"
 * ```
 */
export function textLineRecorder(
  observer: Observer,
  name: string,
  options: Omit<ReplayOptions, "signal"> = {},
): (line: TextLine) => Promise<TextLineOutcome> {
  const callbacks = {
    onRejected: (line: number, reason: string) => options.onRejected?.(name, line, reason),
    onDeadLetter: deadLetterWriter(
      options.deadLetters,
      name,
      () => "snapshots",
      options.now ?? Date.now,
    ),
  };
  return (line) => {
    const judged = parseSnapshotLine(line);
    return judged === undefined
      ? Promise.resolve(undefined)
      : recordSnapshotLine(observer, judged, callbacks);
  };
}

/**
 * Replays `paths` in order into `observer` (see {@linkcode recordStream}). Files (and named
 * inputs such as standard input) are streamed; each file must be readable under the process's
 * permissions.
 *
 * @example
 * ```ts
 * import { replayFiles } from "./replay.ts";
 * import type { Observer } from "../observer/observer.ts";
 * declare const observer: Observer;
 * await replayFiles(observer, ["data/observer/session.jsonl"], { format: "auto" });
 * ```
 */
export async function replayFiles(
  observer: Observer,
  paths: readonly RecordInput[],
  options: ReplayOptions = {},
): Promise<ReplayResult> {
  let snapshots = 0;
  let rejected = 0;
  const parallel = options.parallel;
  await using workers = parallel === undefined || parallel.workers < 2
    ? undefined
    : new ChunkWorkers(parallel.workers, parallel.judge);
  for (const input of paths) {
    if (options.signal?.aborted) break;
    const path = inputName(input);
    using file = await openRecordInput(input);
    const result = workers === undefined
      ? await recordStream(observer, path, file.readable, options)
      : await recordStreamInParallel(workers, parallel!, path, file.readable, options);
    snapshots += result.snapshots;
    rejected += result.rejected;
  }
  return { snapshots, rejected };
}
