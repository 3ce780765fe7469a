/**
 * A pool of the catalog's parse workers (`parse_worker.ts`): chunks of whole lines go to the
 * worker with the fewest pending, their bytes transferred, not copied; the rows come back as
 * promises, which the stager awaits in input order. Without workers ({@linkcode inThreadParser})
 * the same function runs on the calling thread: both give the same rows.
 *
 * @module
 */

import type { LinePiece } from "../io/line_reader.ts";
import { type ChunkRows, chunkRows } from "./chunk_rows.ts";

/** Turns a chunk of whole lines into staging rows. */
export interface ChunkParser {
  /** The rows of `bytes` (whole lines; the buffer is given up to the parser). */
  parse(bytes: Uint8Array, piece: LinePiece): Promise<ChunkRows>;
  /** How many chunks may be in flight at once to keep it busy. */
  readonly depth: number;
}

/** Main thread → worker: one chunk. */
export interface ParseRequest {
  /** The chunk's number (replies are matched by it). */
  readonly seq: number;
  /** Whole lines, transferred. */
  readonly bytes: Uint8Array;
  /** Where the chunk sits in its file, and the line limit. */
  readonly piece: LinePiece;
}

/** Worker → main thread: a chunk's rows, or why there are none. */
export type ParseReply =
  | { readonly seq: number; readonly rows: ChunkRows }
  | { readonly seq: number; readonly error: string };

/**
 * The parser that runs on the calling thread.
 *
 * @example
 * ```ts
 * import { inThreadParser } from "./parse_workers.ts";
 * const bytes = new TextEncoder().encode("\n");
 * (await inThreadParser.parse(bytes, { startOfInput: true, endOfInput: true })).lines; // => 1
 * ```
 */
export const inThreadParser: ChunkParser = {
  parse: (bytes, piece) => chunkRows(bytes, piece),
  depth: 1,
};

interface Slot {
  readonly worker: Worker;
  readonly pending: Map<number, { resolve(rows: ChunkRows): void; reject(e: Error): void }>;
}

/**
 * `count` parse workers (at least 1); close them (or dispose) when done.
 *
 * @example
 * ```ts
 * import { ParseWorkers } from "./parse_workers.ts";
 * using workers = new ParseWorkers(2);
 * const bytes = new TextEncoder().encode("not a record\n");
 * (await workers.parse(bytes, { startOfInput: true, endOfInput: true })).bad.length; // => 1
 * ```
 */
export class ParseWorkers implements ChunkParser, Disposable {
  readonly #slots: Slot[] = [];
  #seq = 0;
  #closed = false;
  #crashed: Error | undefined;

  /** Starts `count` workers. */
  constructor(count: number) {
    for (let i = 0; i < Math.max(1, count); i++) {
      const worker = new Worker(new URL("./parse_worker.ts", import.meta.url), {
        type: "module",
        name: `catalog-parse-${i + 1}`,
      });
      const slot: Slot = { worker, pending: new Map() };
      worker.onmessage = (event: MessageEvent<ParseReply>) => {
        const reply = event.data;
        const waiting = slot.pending.get(reply.seq);
        slot.pending.delete(reply.seq);
        if ("rows" in reply) waiting?.resolve(reply.rows);
        else waiting?.reject(new Error(`a catalog parse worker failed: ${reply.error}`));
      };
      worker.onerror = (event: ErrorEvent) => {
        event.preventDefault();
        this.#crashed = new Error(`a catalog parse worker crashed: ${event.message}`);
        for (const s of this.#slots) this.#fail(s, this.#crashed);
      };
      this.#slots.push(slot);
    }
  }

  /** Two chunks per worker: one being parsed, one waiting. */
  get depth(): number {
    return 2 * this.#slots.length;
  }

  /** Sends `bytes` (transferred: the caller gives its buffer up) to the least busy worker. */
  parse(bytes: Uint8Array, piece: LinePiece): Promise<ChunkRows> {
    if (this.#closed) return Promise.reject(new Error("the parse workers are closed"));
    if (this.#crashed !== undefined) return Promise.reject(this.#crashed);
    let slot = this.#slots[0];
    for (const s of this.#slots) if (s.pending.size < slot.pending.size) slot = s;
    const seq = this.#seq++;
    const promise = new Promise<ChunkRows>((resolve, reject) => {
      slot.pending.set(seq, { resolve, reject });
    });
    const request: ParseRequest = { seq, bytes, piece };
    slot.worker.postMessage(request, [bytes.buffer as ArrayBuffer]);
    return promise;
  }

  #fail(slot: Slot, error: Error): void {
    for (const waiting of slot.pending.values()) waiting.reject(error);
    slot.pending.clear();
  }

  /** Stops the workers; chunks still pending are rejected. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const slot of this.#slots) {
      slot.worker.terminate();
      this.#fail(slot, new Error("the parse workers were closed"));
    }
  }

  /** Same as {@linkcode ParseWorkers.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}
