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

import { DEFAULT_MAX_LINE_BYTES, type TextLine, tooLongProblem } from "../io/line_reader.ts";
import { SnapshotJudge } from "../observer/snapshot_judge.ts";
import { type ChunkInput, type ChunkVerdict, judgeChunk } from "./chunk_judge.ts";
import {
  type ParallelTarget,
  VerdictWriter,
  type VerdictWriterOptions,
  WRITER_FAILED,
} from "./verdict_writer.ts";
import type { ChunkWorkers } from "./chunk_workers.ts";
import { ChunkBuffers } from "./chunk_buffers.ts";
import { DEFAULT_CHUNK_BYTES, type LineChunk, readLineChunks } from "../io/line_chunks.ts";

export type { AcceptedChunk, ParallelTarget } from "./verdict_writer.ts";

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
export interface ParallelRecordOptions extends VerdictWriterOptions {
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
  /** Have the workers serialize blocked snapshots' records too, for `onChunk`. Default false. */
  readonly blockedRecords?: boolean;
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
  const writer = new VerdictWriter(target, buffers, options);
  const judges = { workers, buffers, target, maxLineBytes: options.maxLineBytes };
  const source = Symbol.asyncIterator in chunks
    ? chunks[Symbol.asyncIterator]()
    : chunks[Symbol.iterator]();
  let sourceEnded = false;
  try {
    while (true) {
      const pending = Promise.resolve(source.next());
      pending.catch(() => {}); // a rejection after the writer failed is not one to report
      const next = await Promise.race([pending, writer.failed]);
      if (next === WRITER_FAILED) {
        writer.throwIfFailed();
        break;
      }
      if (next.done) {
        sourceEnded = true;
        break;
      }
      const chunk = next.value;
      const input = {
        name,
        format: writer.format,
        mode: options.mode,
        blockedRecords: options.blockedRecords,
      };
      const verdict = judgeSourceChunk(chunk, input, judges);
      verdict.catch(() => {}); // awaited in order by the writer; never unhandled meanwhile
      const { numbers, written } = chunk as SourceChunk;
      writer.push({ verdict, numbers, written });
      // Until the format is settled, each chunk is written before the next is sent.
      await writer.waitForRoom(writer.settled ? maxInFlight - 1 : 0);
    }
  } finally {
    // At the end the writer writes what is in flight; on a failure that is given up on.
    await writer.end(sourceEnded);
    // Not awaited: a source still waiting for its next item (a quiet consumer) ends when it can.
    if (!sourceEnded) void Promise.resolve(source.return?.()).catch(() => {});
  }
  writer.throwIfFailed();
  return { snapshots: writer.snapshots, rejected: writer.rejected };
}

/** What judges a chunk: the workers, or this thread for a single line. */
interface ChunkJudges {
  readonly workers: ChunkWorkers;
  readonly buffers: ChunkBuffers;
  readonly target: ParallelTarget;
  readonly maxLineBytes: number | undefined;
  /** This thread's judge, made for the first chunk judged here. */
  main?: SnapshotJudge;
}

/** The verdict on one chunk: its bytes to a worker, a single line judged on this thread. */
function judgeSourceChunk(
  chunk: LineChunk | SourceChunk,
  input: ChunkInput,
  judges: ChunkJudges,
): Promise<ChunkVerdict> {
  if (chunk.kind === "line") {
    // A line that cannot travel as bytes among others (a message holding a line end).
    judges.main ??= new SnapshotJudge(judges.target.judge);
    return judgeChunk([{ ...chunk.line, number: 1 }], input, judges.main);
  }
  if (chunk.kind === "too-long") {
    // Judged here: nothing of the line was kept, so there is nothing to parse.
    judges.main ??= new SnapshotJudge(judges.target.judge);
    const line: TextLine = {
      text: "",
      number: 1,
      terminated: chunk.terminated,
      problem: tooLongProblem(judges.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES, chunk.bytes),
    };
    return judgeChunk([line], input, judges.main);
  }
  const { maxLineBytes, buffers } = judges;
  return judges.workers.judge(
    chunk.bytes,
    { startOfInput: chunk.startOfInput, endOfInput: chunk.endOfInput, maxLineBytes },
    input,
    buffers.output(),
  ).then((judged) => {
    buffers.keepInput(judged.buffer);
    return judged.verdict;
  });
}
