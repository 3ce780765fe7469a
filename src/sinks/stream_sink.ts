/**
 * JSON lines on a byte stream, standard output above all (for piping records into `jq` or
 * another program). Same queue, policies, counters and failure rules as the file sink; a
 * closed pipe (the reader went away) is a failure episode like a full disk.
 *
 * @module
 */

import type { PatternRecord } from "../contract/pattern_record.ts";
import type { Logger } from "../log/logging.ts";
import { type Batch, BatchingQueue, type QueueTuning, sinkStatsOf } from "./batching_queue.ts";
import { countNewlines } from "../io/utf8.ts";
import { LineBatchEncoder, lineBytes } from "./json_lines.ts";
import { closeQueueLogged, episodeLogging } from "./queue_logging.ts";
import type { Sink, SinkStats } from "./sink.ts";

/** Where the lines go: `Deno.stdout` has this shape. */
export interface ByteOutput {
  /** Writes some of `bytes`; resolves with how many were written. */
  write(bytes: Uint8Array): Promise<number>;
}

/** Options of a {@linkcode LineStreamSink}; queue defaults in {@linkcode STREAM_SINK_DEFAULTS}. */
export interface LineStreamSinkOptions extends QueueTuning {
  /** Where the lines go. */
  readonly out: ByteOutput;
  /** What the output is called in logs and summaries, e.g. `stdout`. */
  readonly name: string;
  /** Receives failures and recoveries. */
  readonly logger: Logger;
}

/** Defaults of a {@linkcode LineStreamSink}: smaller batches than a file, for a live reader. */
export const STREAM_SINK_DEFAULTS = {
  maxQueueBytes: 4 * 1024 * 1024,
  flushBytes: 64 * 1024,
  flushIntervalMs: 10,
  whenFull: "block",
} as const;

/**
 * Writes each record as one JSON line to a byte stream.
 *
 * @example
 * ```ts
 * import { LineStreamSink } from "./stream_sink.ts";
 * import { getObserverLogger } from "../log/logging.ts";
 * import type { PatternRecord } from "../contract/pattern_record.ts";
 * declare const record: PatternRecord;
 * await using sink = new LineStreamSink({
 *   out: Deno.stdout,
 *   name: "stdout",
 *   logger: getObserverLogger("sink"),
 * });
 * await sink.write(record);
 * ```
 */
export class LineStreamSink<T = PatternRecord> implements Sink<T> {
  /** Name in logs and summaries. */
  readonly name: string;
  readonly #out: ByteOutput;
  readonly #queue: BatchingQueue<string>;
  readonly #encoder: LineBatchEncoder;
  readonly #logger: Logger;
  #closed = false;

  /** Checks the sizes (positive) and starts with an empty queue. */
  constructor(options: LineStreamSinkOptions) {
    this.name = options.name;
    this.#out = options.out;
    this.#logger = options.logger;
    const flushBytes = options.flushBytes ?? STREAM_SINK_DEFAULTS.flushBytes;
    this.#encoder = new LineBatchEncoder(flushBytes);
    this.#queue = new BatchingQueue<string>({
      maxBytes: options.maxQueueBytes ?? STREAM_SINK_DEFAULTS.maxQueueBytes,
      flushBytes,
      flushIntervalMs: options.flushIntervalMs ?? STREAM_SINK_DEFAULTS.flushIntervalMs,
      whenFull: options.whenFull ?? STREAM_SINK_DEFAULTS.whenFull,
      sizeOf: lineBytes,
      write: (batch) => this.#writeBatch(batch),
      ...episodeLogging(this.#logger, this.name, options.name, "at the next flush"),
    });
  }

  /** Serializes and queues one record; a promise means the queue is full (`block`). */
  write(record: T): void | Promise<void> {
    if (this.#closed) throw new Error(`${this.name} is closed: expected write() before close()`);
    return this.#queue.push(JSON.stringify(record));
  }

  /** Writes everything accepted so far; rejects when the output is failing. */
  async flush(): Promise<void> {
    try {
      await this.#queue.flush();
    } catch (error) {
      throw new Error(
        `${this.name}: cannot write: ${error instanceof Error ? error.message : error}`,
      );
    }
  }

  /** Writes what is queued and stops; what cannot be written is counted as failed. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await closeQueueLogged(this.#queue, this.#logger, this.name);
  }

  /** Lets producers waiting for room go on (see `Sink.unblock`). */
  unblock(): void {
    this.#queue.unblock();
  }

  /** Resolves once `bytes` fit in the queue (see `Sink.waitForRoom`). */
  waitForRoom(bytes: number, signal?: AbortSignal): Promise<boolean> {
    return this.#queue.waitForRoom(bytes, signal);
  }

  /** Same as {@linkcode close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Counters for the run summary. */
  stats(): SinkStats {
    return sinkStatsOf(this.#queue.stats());
  }

  async #writeBatch(batch: Batch<string>): Promise<void> {
    const bytes = this.#encoder.encode(batch.items);
    let offset = 0;
    try {
      while (offset < bytes.length) offset += await this.#out.write(bytes.subarray(offset));
    } catch (error) {
      // Lines handed over whole count as written; a torn one is written again on retry.
      batch.done = countNewlines(bytes.subarray(0, offset));
      // A reader that went away (`| head`) never comes back: nobody waits for it (`block`
      // would hold the run forever); what is left is counted as not written.
      if (error instanceof Deno.errors.BrokenPipe) this.#queue.unblock();
      throw error;
    }
    batch.done = batch.items.length;
  }
}
