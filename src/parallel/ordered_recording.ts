/**
 * Ordered parallel recording of one input stream: the reader cuts it into chunks of whole lines
 * ({@linkcode readLineChunks}), the workers judge and serialize the chunks
 * ({@linkcode ChunkWorkers}), and the writer takes the verdicts strictly in input order: it
 * reports and dead-letters the lines that did not become records (with their line numbers in
 * the whole input), tallies them in the Observer, and appends the encoded records to the sink.
 *
 * Memory is bounded: at most `2 × workers` chunks are in flight (read and not yet handed to the
 * sink), and the reader waits for the writer, which waits for the sink (backpressure reaches the
 * reader). When `signal` aborts, reading stops and every chunk already read is still written.
 *
 * The main thread only reads, posts, receives and writes: the bytes are read straight into a
 * chunk's buffer, which goes to a worker and comes back with the verdict, to be read into
 * again; the records come encoded in a buffer of the worker's, which goes back to a worker once
 * the sink has written it. Buffers move by transfer, never by copy, and in the steady state
 * none is allocated.
 *
 * @module
 */

import type { Logger } from "../log/logging.ts";
import { DEFAULT_MAX_LINE_BYTES, type TextLine, tooLongProblem } from "../io/line_reader.ts";
import type { JudgedElsewhere } from "../observer/observer.ts";
import { type JudgeSettings, SnapshotJudge } from "../observer/snapshot_judge.ts";
import type { BadLine } from "../records/record_reader.ts";
import type { EncodedLines } from "../sinks/jsonl_file_sink.ts";
import type { InputFormat } from "../sources/snapshot_inputs.ts";
import type { SnapshotLine } from "../sources/snapshot_lines.ts";
import type { RecordLinesOptions } from "../sources/record_snapshots.ts";
import { type ChunkVerdict, judgeChunk } from "./chunk_judge.ts";
import type { ChunkWorkers } from "./chunk_workers.ts";
import { ChunkBuffers } from "./chunk_buffers.ts";
import { DEFAULT_CHUNK_BYTES, type LineChunk, readLineChunks } from "../io/line_chunks.ts";

/** Where parallel recording puts what the workers made. */
export interface ParallelTarget {
  /** Number of workers (2 or more; 1 is the single-thread path). */
  readonly workers: number;
  /** How the workers judge and stamp snapshots (the Observer's own settings). */
  readonly judge: JudgeSettings;
  /** Counts and logs what the workers judged (the pipeline's Observer). */
  readonly observer: { tally(judged: JudgedElsewhere): void };
  /** Appends encoded records (the pipeline's one JSONL sink). */
  readonly sink: { writeEncoded(lines: EncodedLines): void | Promise<void> };
}

/**
 * The records of one chunk as they are accepted, handed to {@linkcode ParallelRecordOptions.onChunk}
 * just before they go to the sink, in input order.
 */
export interface AcceptedChunk {
  /** The records' JSON lines, each ending in `\n`; valid only during the call (reused after). */
  readonly encoded: Uint8Array;
  /** Records in `encoded`. */
  readonly records: number;
  /**
   * The chunk's blocked snapshots, in input order, each with its record as JSON (when the run
   * asked for `blockedRecords`) and the number of records of `encoded` that came before it.
   */
  readonly blocked: readonly { readonly recordsBefore: number; readonly record?: string }[];
}

/**
 * A chunk handed to {@linkcode recordChunksInParallel} by a source other than a byte stream (the
 * messages of a NATS consumer): whole lines as bytes for a worker, or one line judged on this
 * thread (a message whose text holds a line end), with the line numbers messages should give
 * (stream sequences) and a note for when its records have gone to the sink.
 */
export type SourceChunk =
  & (
    | Extract<LineChunk, { kind: "lines" }>
    | { readonly kind: "line"; readonly line: TextLine }
  )
  & {
    /** The number of each of its lines in messages (default: counted through the input). */
    readonly numbers?: readonly number[];
    /** Called once the chunk's records were handed to the sink and its dead letters queued. */
    readonly written?: () => void;
  };

/** Options of {@linkcode recordInParallel}. */
export interface ParallelRecordOptions {
  /** How to read the lines. Default `auto` (settled by the first non-blank line). */
  readonly format?: InputFormat;
  /** `meta.mode` for snapshots made from KIS archives. */
  readonly mode?: string;
  /** Stops reading (SIGINT/SIGTERM); chunks already read are still written. */
  readonly signal?: AbortSignal;
  /** Longest line read, in bytes. Default `DEFAULT_MAX_LINE_BYTES`. */
  readonly maxLineBytes?: number;
  /** Input bytes per chunk. Default {@linkcode DEFAULT_CHUNK_BYTES}. */
  readonly chunkBytes?: number;
  /** Called with the byte count of every read (progress). */
  readonly onBytes?: (bytes: number) => void;
  /** Called once the format is settled. */
  readonly onFormat?: (format: Exclude<InputFormat, "auto">) => void;
  /** Called for a torn last line of a record file. */
  readonly onTornTail?: (bad: BadLine) => void;
  /** Called for each line that is not a snapshot, with its line number in the input. */
  readonly onRejected?: RecordLinesOptions["onRejected"];
  /** Called, and awaited, for each rejected line and blocked snapshot, in input order. */
  readonly onDeadLetter?: RecordLinesOptions["onDeadLetter"];
  /** Receives one debug message per chunk written. */
  readonly logger?: Logger;
  /** Have the workers serialize blocked snapshots' records too, for `onChunk`. Default false. */
  readonly blockedRecords?: boolean;
  /** Called with each chunk's records (and blocked ones) before they go to the sink. */
  readonly onChunk?: (chunk: AcceptedChunk) => void;
  /**
   * Buffers to reuse, shared with other recordings. Default: a pool of this recording's own,
   * keeping at most `2 × workers + 2` of each kind.
   */
  readonly buffers?: ChunkBuffers;
}

/** Counts of a {@linkcode recordInParallel} run. */
export interface ParallelRecordResult {
  /** Snapshots judged (recorded or blocked). */
  readonly snapshots: number;
  /** Lines that were not snapshots. */
  readonly rejected: number;
}

/**
 * Records `stream` (called `name` in messages) through `workers` into `target`, in input order
 * (see the module notes).
 *
 * @example
 * ```ts
 * import { recordInParallel, type ParallelTarget } from "./ordered_recording.ts";
 * import { ChunkWorkers } from "./chunk_workers.ts";
 * declare const target: ParallelTarget;
 * declare const file: Deno.FsFile;
 * await using workers = new ChunkWorkers(target.workers, target.judge);
 * await recordInParallel(workers, target, "in.jsonl", file.readable, { format: "snapshots" });
 * ```
 */
export async function recordInParallel(
  workers: ChunkWorkers,
  target: ParallelTarget,
  name: string,
  stream: ReadableStream<Uint8Array>,
  options: ParallelRecordOptions = {},
): Promise<ParallelRecordResult> {
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const buffers = options.buffers ?? new ChunkBuffers(2 * workers.size + 2, chunkBytes);
  const chunks = readLineChunks(stream, {
    chunkBytes,
    maxLineBytes: options.maxLineBytes,
    onBytes: options.onBytes,
    signal: options.signal,
    buffer: (bytes) => buffers.input(bytes),
  });
  return await recordChunksInParallel(workers, target, name, chunks, { ...options, buffers });
}

/**
 * {@linkcode recordInParallel} of chunks from any source, such as {@linkcode SourceChunk}s made
 * of messages (their buffers best taken from `options.buffers`, to which they return); `signal`
 * and `onBytes` are the source's business.
 *
 * @example
 * ```ts
 * import { recordChunksInParallel, type ParallelTarget } from "./ordered_recording.ts";
 * import { ChunkWorkers } from "./chunk_workers.ts";
 * declare const target: ParallelTarget;
 * await using workers = new ChunkWorkers(target.workers, target.judge);
 * const line = { text: "not json", number: 1, terminated: true };
 * await recordChunksInParallel(workers, target, "nats:QTS", [{ kind: "line", line, numbers: [7] }], {
 *   format: "snapshots",
 * });
 * ```
 */
export async function recordChunksInParallel(
  workers: ChunkWorkers,
  target: ParallelTarget,
  name: string,
  chunks: AsyncIterable<LineChunk | SourceChunk> | Iterable<LineChunk | SourceChunk>,
  options: ParallelRecordOptions = {},
): Promise<ParallelRecordResult> {
  const maxInFlight = 2 * workers.size;
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const buffers = options.buffers ?? new ChunkBuffers(maxInFlight + 2, chunkBytes);
  const maxLineBytes = options.maxLineBytes;
  let format: InputFormat = options.format ?? "auto";
  let settled = format !== "auto";
  if (settled) options.onFormat?.(format as Exclude<InputFormat, "auto">);
  /** The verdicts in flight, in input order, with their chunks' line numbers and notes. */
  const inFlight: {
    readonly verdict: Promise<ChunkVerdict>;
    readonly numbers?: readonly number[];
    readonly written?: () => void;
  }[] = [];
  /** Lines before the next verdict to write. */
  let base = 0;
  let snapshots = 0;
  let rejected = 0;
  let mainJudge: SnapshotJudge | undefined;

  const write = async (
    verdict: ChunkVerdict,
    numbers: readonly number[] | undefined,
    written: (() => void) | undefined,
  ) => {
    const numberOf = (n: number) => numbers?.[n - 1] ?? base + n;
    if (!settled && verdict.format !== undefined) {
      settled = true;
      format = verdict.format;
      options.onFormat?.(verdict.format);
    }
    for (const outcome of verdict.outcomes) {
      const source: TextLine = { ...outcome.source, number: numberOf(outcome.source.number) };
      const reason = outcome.reasons[0];
      // What the dead-letter writer needs of the line: its source, reason and format.
      const item: SnapshotLine = {
        ok: false,
        line: source.number,
        reason,
        source,
        format: outcome.format,
      };
      if (outcome.kind === "rejected") {
        rejected++;
        options.onRejected?.(source.number, outcome.reasons[0]);
      } else {
        snapshots++;
        target.observer.tally({
          status: "blocked",
          runId: outcome.runId,
          blockedBy: outcome.blockedBy ?? "validation",
          reasons: outcome.reasons,
        });
      }
      await options.onDeadLetter?.(outcome.kind, item, outcome.reasons, outcome.runId);
    }
    try {
      options.onChunk?.({
        encoded: verdict.encoded,
        records: verdict.records,
        blocked: verdict.outcomes.filter((outcome) => outcome.kind === "blocked"),
      });
    } catch (error) {
      // Like a failing sink on the bus: reported, and the records still go to the file.
      options.logger?.error("A chunk's records could not be shown live: {error}", {
        error: String(error),
      });
    }
    if (verdict.records > 0) {
      snapshots += verdict.records;
      target.observer.tally({
        status: "dispatched",
        count: verdict.records,
        nonNumeric: verdict.nonNumeric,
      });
      const encoded = verdict.encoded;
      const pending = target.sink.writeEncoded({
        bytes: encoded,
        count: verdict.records,
        release: () => buffers.keepOutput(new Uint8Array(encoded.buffer as ArrayBuffer)),
      });
      if (pending !== undefined) await pending;
    }
    if (verdict.tornTail !== undefined) {
      options.onTornTail?.({ ...verdict.tornTail, line: numberOf(verdict.tornTail.line) });
    }
    options.logger?.debug("Chunk of lines {first}-{last}: {records} record(s) written", {
      first: numberOf(1),
      last: numberOf(verdict.lines),
      records: verdict.records,
    });
    base += verdict.lines;
    written?.();
  };
  /** The chunk being written, if any (it counts among those in flight). */
  let writing = 0;
  /** Set when the source has ended, or failed: the writer stops once the verdicts are written. */
  let sourceDone = false;
  /** The writer's failure, which stops the source too. */
  let failure: { error: unknown } | undefined;
  /** Settles when the writer fails: a source waiting for its next chunk is not waited for. */
  let failed: () => void = () => {};
  const writerFailed = new Promise<typeof WRITER_FAILED>((resolve) => {
    failed = () => resolve(WRITER_FAILED);
  });
  const verdictReady = new Wakeup();
  const roomMade = new Wakeup();
  // The writer takes each verdict as soon as it is in, in input order (a live source, such as
  // a consumer's messages, must not wait for later chunks to have its own written).
  const writer = (async () => {
    try {
      while (true) {
        if (inFlight.length === 0) {
          if (sourceDone) return;
          await verdictReady.wait();
          continue;
        }
        const oldest = inFlight.shift()!;
        writing = 1;
        await write(await oldest.verdict, oldest.numbers, oldest.written);
        writing = 0;
        roomMade.wake();
      }
    } catch (error) {
      failure = { error };
      roomMade.wake();
      failed();
    }
  })();
  const waitForRoom = async (free: number) => {
    while (failure === undefined && inFlight.length + writing > free) await roomMade.wait();
    if (failure !== undefined) throw failure.error;
  };

  const source = Symbol.asyncIterator in chunks
    ? chunks[Symbol.asyncIterator]()
    : chunks[Symbol.iterator]();
  let sourceEnded = false;
  try {
    while (true) {
      const pending = Promise.resolve(source.next());
      pending.catch(() => {}); // a rejection after the writer failed is not one to report
      const next = await Promise.race([pending, writerFailed]);
      if (next === WRITER_FAILED) throw failure!.error;
      if (next.done) {
        sourceEnded = true;
        break;
      }
      const chunk = next.value;
      const input = { name, format, mode: options.mode, blockedRecords: options.blockedRecords };
      let verdict: Promise<ChunkVerdict>;
      if (chunk.kind === "line") {
        // A line that cannot travel as bytes among others (a message holding a line end).
        mainJudge ??= new SnapshotJudge(target.judge);
        verdict = judgeChunk([{ ...chunk.line, number: 1 }], input, mainJudge);
      } else if (chunk.kind === "too-long") {
        // Judged here: nothing of the line was kept, so there is nothing to parse.
        mainJudge ??= new SnapshotJudge(target.judge);
        const line: TextLine = {
          text: "",
          number: 1,
          terminated: chunk.terminated,
          problem: tooLongProblem(maxLineBytes ?? DEFAULT_MAX_LINE_BYTES, chunk.bytes),
        };
        verdict = judgeChunk([line], input, mainJudge);
      } else {
        verdict = workers.judge(
          chunk.bytes,
          { startOfInput: chunk.startOfInput, endOfInput: chunk.endOfInput, maxLineBytes },
          input,
          buffers.output(),
        ).then((judged) => {
          buffers.keepInput(judged.buffer);
          return judged.verdict;
        });
      }
      verdict.catch(() => {}); // awaited in order by the writer; never unhandled meanwhile
      const { numbers, written } = chunk as SourceChunk;
      inFlight.push({ verdict, numbers, written });
      verdictReady.wake();
      // Until the format is settled, each chunk is written before the next is sent.
      await waitForRoom(settled ? maxInFlight - 1 : 0);
    }
  } finally {
    // At the end the writer writes what is in flight; on a failure that is given up on.
    sourceDone = true;
    if (!sourceEnded) inFlight.length = 0;
    verdictReady.wake();
    await writer;
    // Not awaited: a source still waiting for its next item (a quiet consumer) ends when it can.
    if (!sourceEnded) void Promise.resolve(source.return?.()).catch(() => {});
  }
  if (failure !== undefined) throw failure.error;
  return { snapshots, rejected };
}

/** What the race of a source's next chunk against the writer's failure gives on a failure. */
const WRITER_FAILED = Symbol("writer failed");

/** Wakes whoever waits on it, or, when nobody does, the next one to wait. */
class Wakeup {
  #resolve: (() => void) | undefined;
  #pending = false;

  /** Resolves at the next {@linkcode Wakeup.wake} (at once when one came meanwhile). */
  wait(): Promise<void> {
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#resolve = resolve);
  }

  /** Wakes the waiter. */
  wake(): void {
    const resolve = this.#resolve;
    this.#resolve = undefined;
    if (resolve === undefined) this.#pending = true;
    else resolve();
  }
}
