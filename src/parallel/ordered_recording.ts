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
import type { RecordLinesOptions } from "../app/record_snapshots.ts";
import { type ChunkVerdict, judgeChunk } from "./chunk_judge.ts";
import type { ChunkWorkers } from "./chunk_workers.ts";
import { ChunkBuffers } from "./chunk_buffers.ts";
import { DEFAULT_CHUNK_BYTES, readLineChunks } from "./line_chunks.ts";

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
  const maxInFlight = 2 * workers.size;
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const buffers = options.buffers ?? new ChunkBuffers(maxInFlight + 2, chunkBytes);
  const maxLineBytes = options.maxLineBytes;
  let format: InputFormat = options.format ?? "auto";
  let settled = format !== "auto";
  if (settled) options.onFormat?.(format as Exclude<InputFormat, "auto">);
  /** The verdicts in flight, in input order. */
  const inFlight: Promise<ChunkVerdict>[] = [];
  /** Lines before the next verdict to write. */
  let base = 0;
  let snapshots = 0;
  let rejected = 0;
  let mainJudge: SnapshotJudge | undefined;

  const write = async (verdict: ChunkVerdict) => {
    if (!settled && verdict.format !== undefined) {
      settled = true;
      format = verdict.format;
      options.onFormat?.(verdict.format);
    }
    for (const outcome of verdict.outcomes) {
      const source: TextLine = { ...outcome.source, number: base + outcome.source.number };
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
    options.onChunk?.({
      encoded: verdict.encoded,
      records: verdict.records,
      blocked: verdict.outcomes.filter((outcome) => outcome.kind === "blocked"),
    });
    if (verdict.records > 0) {
      snapshots += verdict.records;
      target.observer.tally({ status: "dispatched", count: verdict.records });
      const encoded = verdict.encoded;
      const pending = target.sink.writeEncoded({
        bytes: encoded,
        count: verdict.records,
        release: () => buffers.keepOutput(new Uint8Array(encoded.buffer as ArrayBuffer)),
      });
      if (pending !== undefined) await pending;
    }
    if (verdict.tornTail !== undefined) {
      options.onTornTail?.({ ...verdict.tornTail, line: base + verdict.tornTail.line });
    }
    options.logger?.debug("Chunk of lines {first}-{last}: {records} record(s) written", {
      first: base + 1,
      last: base + verdict.lines,
      records: verdict.records,
    });
    base += verdict.lines;
  };
  const writeOldest = async () => await write(await inFlight.shift()!);

  try {
    const chunks = readLineChunks(stream, {
      chunkBytes,
      maxLineBytes,
      onBytes: options.onBytes,
      signal: options.signal,
      buffer: (bytes) => buffers.input(bytes),
    });
    for await (const chunk of chunks) {
      const input = { name, format, mode: options.mode, blockedRecords: options.blockedRecords };
      let verdict: Promise<ChunkVerdict>;
      if (chunk.kind === "too-long") {
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
      verdict.catch(() => {}); // awaited in order below; never an unhandled rejection meanwhile
      inFlight.push(verdict);
      // Until the format is settled, each chunk is judged before the next is sent.
      if (!settled) await writeOldest();
      while (inFlight.length >= maxInFlight) await writeOldest();
    }
    while (inFlight.length > 0) await writeOldest();
  } finally {
    inFlight.length = 0;
  }
  return { snapshots, rejected };
}
