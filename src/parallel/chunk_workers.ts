/**
 * A pool of chunk workers (Deno Web Workers running `chunk_worker.ts`). Workers inherit the
 * process's permissions and are given nothing more. Each chunk goes to the worker with the
 * fewest chunks pending; verdicts come back as promises, in whatever order the workers finish,
 * each with the chunk's buffer given back for reuse.
 *
 * @module
 */

import type { LinePiece } from "../io/line_reader.ts";
import type { JudgeSettings } from "../observer/snapshot_judge.ts";
import type { ChunkInput, ChunkVerdict } from "./chunk_judge.ts";
import type { WorkerReply, WorkerRequest } from "./worker_messages.ts";

/** A chunk's verdict and its input buffer, given back whole. */
export interface JudgedChunk {
  /** What became of the chunk's lines. */
  readonly verdict: ChunkVerdict;
  /** The buffer the chunk's bytes were sent in, whole: it may be read into again. */
  readonly buffer: Uint8Array;
}

interface Pending {
  readonly resolve: (judged: JudgedChunk) => void;
  readonly reject: (error: Error) => void;
}

interface Slot {
  /** Its worker; a new one replaces one that crashed. */
  worker: Worker;
  readonly pending: Map<number, Pending>;
}

/**
 * `count` workers judging chunks with `settings`.
 *
 * @example
 * ```ts
 * import { ChunkWorkers } from "./chunk_workers.ts";
 * await using workers = new ChunkWorkers(2, { generatedAt: "snapshot" });
 * const { verdict } = await workers.judge(
 *   new TextEncoder().encode("not json\n"),
 *   { startOfInput: true, endOfInput: true },
 *   { name: "in.jsonl", format: "snapshots" },
 * );
 * verdict.outcomes.length; // => 1
 * ```
 */
export class ChunkWorkers implements AsyncDisposable {
  readonly #slots: Slot[] = [];
  #seq = 0;
  #closed = false;
  readonly #settings: JudgeSettings;

  /** Starts `count` workers (at least 1). */
  constructor(count: number, settings: JudgeSettings) {
    this.#settings = settings;
    for (let i = 0; i < Math.max(1, count); i++) {
      const slot = { pending: new Map() } as Slot; // its worker is set by #start
      this.#start(slot, i);
      this.#slots.push(slot);
    }
  }

  /**
   * Starts the worker of `slot`. When it crashes, the chunks it had are rejected and a new
   * worker takes its place, so later chunks are not sent to a dead one.
   */
  #start(slot: Slot, index: number): void {
    const worker = new Worker(new URL("./chunk_worker.ts", import.meta.url), {
      type: "module",
      name: `chunk-worker-${index + 1}`,
    });
    slot.worker = worker;
    worker.onmessage = (event: MessageEvent<WorkerReply>) => {
      const reply = event.data;
      const waiting = slot.pending.get(reply.seq);
      if (waiting === undefined) return;
      slot.pending.delete(reply.seq);
      if (reply.type === "verdict") {
        waiting.resolve({ verdict: reply.verdict, buffer: reply.input });
      } else waiting.reject(new Error(`a chunk worker failed: ${reply.message}`));
    };
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      const error = new Error(`a chunk worker crashed: ${event.message}`);
      for (const waiting of slot.pending.values()) waiting.reject(error);
      slot.pending.clear();
      worker.terminate();
      if (!this.#closed) this.#start(slot, index);
    };
    this.#post(worker, { type: "init", settings: this.#settings });
  }

  /** Number of workers. */
  get size(): number {
    return this.#slots.length;
  }

  /**
   * Sends `bytes` (a view at the start of its buffer) to a worker, transferring the whole buffer
   * (the caller gives it up until the verdict gives it back); `spare`, a whole buffer the caller
   * is done with, goes along for the worker to encode records into. Resolves with the verdict.
   */
  judge(
    bytes: Uint8Array,
    piece: LinePiece,
    input: ChunkInput,
    spare?: Uint8Array,
  ): Promise<JudgedChunk> {
    if (this.#closed) return Promise.reject(new Error("the chunk workers are closed"));
    let slot = this.#slots[0];
    for (const candidate of this.#slots) {
      if (candidate.pending.size < slot.pending.size) slot = candidate;
    }
    const seq = this.#seq++;
    const promise = new Promise<JudgedChunk>((resolve, reject) => {
      slot.pending.set(seq, { resolve, reject });
    });
    const transfer = [bytes.buffer as ArrayBuffer];
    if (spare !== undefined) transfer.push(spare.buffer as ArrayBuffer);
    this.#post(slot.worker, { type: "chunk", seq, bytes, piece, input, spare }, transfer);
    return promise;
  }

  /** Stops every worker; verdicts still pending are rejected. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const slot of this.#slots) {
      slot.worker.terminate();
      for (const waiting of slot.pending.values()) {
        waiting.reject(new Error("the chunk workers were closed"));
      }
      slot.pending.clear();
    }
  }

  /** Same as {@linkcode ChunkWorkers.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }

  #post(worker: Worker, message: WorkerRequest, transfer: Transferable[] = []): void {
    worker.postMessage(message, transfer);
  }
}
