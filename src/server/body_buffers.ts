/**
 * Buffers the service reads request bodies into, kept for the next requests. A new buffer per
 * request is a large allocation each time (a 1,000-line body is 411 KB) that V8 puts in its
 * large-object space, freed only by full collections. Measured on row i (`deno task bench`), eight
 * alternating pairs, this with the line count that allocates nothing (`countNewlines`) against
 * new buffers and a count that decoded the body: HTTP ingest 6 % faster (median; every pair
 * faster) and 0.08 CPU-s less per 100,000 snapshots. Kept: at most one buffer per request the
 * service takes at once (8 by default), each of at most 1 MiB: at most 8 MiB.
 *
 * @module
 */

/** Largest buffer kept: larger bodies get a buffer of their own, let go of after the request. */
export const MAX_KEPT_BODY_BUFFER_BYTES = 1024 * 1024 + 1;

/**
 * A pool of body buffers: at most `maxKept` of them, each of at most
 * {@linkcode MAX_KEPT_BODY_BUFFER_BYTES}.
 *
 * @example
 * ```ts
 * import { BodyBuffers } from "./body_buffers.ts";
 * const buffers = new BodyBuffers(8);
 * const buffer = buffers.take(1000); // a new one: nothing kept yet
 * buffers.give(buffer);
 * buffers.take(500).buffer === buffer.buffer; // => true
 * ```
 */
export class BodyBuffers {
  readonly #kept: Uint8Array<ArrayBuffer>[] = [];
  readonly #maxKept: number;

  /** Keeps at most `maxKept` buffers (the requests the service takes at once). */
  constructor(maxKept: number) {
    this.#maxKept = maxKept;
  }

  /** A whole buffer of at least `bytes` bytes: a kept one (the smallest that fits), or a new one. */
  take(bytes: number): Uint8Array<ArrayBuffer> {
    let best = -1;
    for (let i = 0; i < this.#kept.length; i++) {
      const length = this.#kept[i].length;
      if (length >= bytes && (best < 0 || length < this.#kept[best].length)) best = i;
    }
    if (best < 0) return new Uint8Array(bytes);
    return this.#kept.splice(best, 1)[0];
  }

  /** Takes back a buffer the request is done with (any view of it: the whole buffer is kept). */
  give(view: Uint8Array<ArrayBuffer>): void {
    const buffer = new Uint8Array(view.buffer);
    if (buffer.length > MAX_KEPT_BODY_BUFFER_BYTES || buffer.length === 0) return;
    if (this.#kept.length < this.#maxKept) this.#kept.push(buffer);
  }
}
