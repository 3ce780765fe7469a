/**
 * Records one ingest body into the pipeline: a JSON array on the main thread, NDJSON by the
 * pipeline's workers when it has them (one pool shared by the requests, each chunk's records
 * handed to the live stream from memory as accepted), else on the main thread.
 *
 * @module
 */

import type { Pipeline } from "../../app/pipeline.ts";
import {
  recordStream,
  recordStreamInParallel,
  recordTextLines,
  type ReplayOptions,
  type ReplayResult,
} from "../../app/replay.ts";
import { ChunkBuffers } from "../../parallel/chunk_buffers.ts";
import { ChunkWorkers } from "../../parallel/chunk_workers.ts";
import type { RecordStreamHub } from "../record_stream_hub.ts";
import { type ArrayBodyLimits, arrayElements } from "./array_body.ts";

/**
 * Bytes of a body in one chunk for the workers while no live stream subscriber is connected:
 * fewer, larger messages to and from the workers (measured with `bench/service_ratio_bench.ts`:
 * HTTP ingest 0.72 of `--input` with 256 KiB chunks against 0.63 with 64 KiB ones; 512 KiB was
 * 5 % faster than 256 KiB in 8 of 8 alternating pairs, at the same peak RSS).
 */
const BODY_CHUNK_BYTES = 512 * 1024;

/**
 * Bytes of a body in one chunk while a live stream subscriber is connected: a chunk's records
 * (about 3.5 × its bytes) come to a subscriber at once, in bursts well inside its 1 MiB bound.
 */
const STREAMED_BODY_CHUNK_BYTES = 64 * 1024;

/** How a body is recorded: its input name, dead letters, limits and clock. */
export type BodyOptions = Pick<ReplayOptions, "deadLetters" | "maxLineBytes" | "now">;

/**
 * Records bodies into one pipeline; {@linkcode BodyRecorder.start} starts its workers (when the
 * pipeline has them) and {@linkcode BodyRecorder.close} stops them.
 *
 * @example
 * ```ts
 * import { BodyRecorder } from "./body_recorder.ts";
 * import type { Pipeline } from "../../app/pipeline.ts";
 * import type { RecordStreamHub } from "../record_stream_hub.ts";
 * declare const pipeline: Pipeline, hub: RecordStreamHub;
 * const recorder = new BodyRecorder(pipeline, hub);
 * recorder.start();
 * recorder.close();
 * ```
 */
export class BodyRecorder {
  readonly #pipeline: Pipeline;
  readonly #chunkOptions;
  readonly #hub: RecordStreamHub;
  #workers: ChunkWorkers | undefined;

  /** Records into `pipeline`; chunks recorded by workers go to `hub` as they are accepted. */
  constructor(pipeline: Pipeline, hub: RecordStreamHub) {
    this.#pipeline = pipeline;
    this.#hub = hub;
    this.#chunkOptions = {
      blockedRecords: true,
      onChunk: hub.writeChunk.bind(hub),
      chunkBytes: BODY_CHUNK_BYTES,
      // Kept across requests: a request's buffers are reused by the next ones.
      buffers: new ChunkBuffers(4 * (pipeline.parallel?.workers ?? 1) + 2, BODY_CHUNK_BYTES),
    };
  }

  /** Starts the workers, when the pipeline has them. */
  start(): void {
    const parallel = this.#pipeline.parallel;
    if (parallel !== undefined) this.#workers = new ChunkWorkers(parallel.workers, parallel.judge);
  }

  /** Stops the workers. */
  close(): void {
    this.#workers?.close();
  }

  /** Records `body` (a JSON array when `isArray`, else snapshot lines) as the input `input`. */
  record(
    body: Uint8Array,
    isArray: boolean,
    input: string,
    options: BodyOptions & ArrayBodyLimits,
  ): Promise<ReplayResult> {
    const { observer, parallel } = this.#pipeline;
    const { deadLetters, maxLineBytes, now } = options;
    const recordOptions = { deadLetters, maxLineBytes, now } as const;
    if (isArray) {
      return recordTextLines(observer, input, arrayElements(body, options), recordOptions);
    }
    // The body as one chunk, not copied again (a Blob's stream copies it: ~7 % of the service's
    // CPU at 1,000 lines a request).
    const stream = ReadableStream.from([body]);
    if (this.#workers !== undefined) {
      return recordStreamInParallel(
        this.#workers,
        parallel!,
        input,
        stream,
        { ...recordOptions, format: "snapshots" },
        {
          ...this.#chunkOptions,
          chunkBytes: this.#hub.hasSubscribers ? STREAMED_BODY_CHUNK_BYTES : BODY_CHUNK_BYTES,
        },
      );
    }
    return recordStream(observer, input, stream, { ...recordOptions, format: "snapshots" });
  }
}
