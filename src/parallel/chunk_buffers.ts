/**
 * The buffers parallel recording reuses: chunk buffers the workers gave back (to read input into
 * again) and buffers of encoded records the sink is done with (for a worker to encode into
 * again). A bounded number of each is kept, and none grown past its usual size (for a long
 * line): those are let go of. One pool may serve several recordings, one after another or at
 * once (the service's requests share one).
 *
 * @module
 */

/**
 * Reusable chunk and record buffers.
 *
 * @example
 * ```ts
 * import { ChunkBuffers } from "./chunk_buffers.ts";
 * const buffers = new ChunkBuffers(4, 64 * 1024);
 * const input = buffers.input(64 * 1024); // a new one: nothing kept yet
 * buffers.keepInput(input);
 * buffers.input(1024) === input; // => true
 * ```
 */
export class ChunkBuffers {
  readonly #inputs: Uint8Array[] = [];
  readonly #outputs: Uint8Array[] = [];
  readonly #maxKept: number;
  readonly #maxInputBytes: number;
  readonly #maxOutputBytes: number;

  /**
   * Keeps at most `maxKept` buffers of each kind: input ones of at most 2 × `chunkBytes`, record
   * ones of at most 8 × `chunkBytes` (a chunk's records take about 3 × its bytes).
   */
  constructor(maxKept: number, chunkBytes: number) {
    this.#maxKept = maxKept;
    this.#maxInputBytes = 2 * chunkBytes;
    this.#maxOutputBytes = 8 * chunkBytes;
  }

  /** A whole buffer of at least `bytes` bytes to read input into: a kept one, or a new one. */
  input(bytes: number): Uint8Array {
    const i = this.#inputs.findIndex((buffer) => buffer.length >= bytes);
    return i < 0 ? new Uint8Array(bytes) : this.#inputs.splice(i, 1)[0];
  }

  /** Takes back a chunk buffer, whole (a worker gave it back). */
  keepInput(buffer: Uint8Array): void {
    this.#keep(this.#inputs, buffer, this.#maxInputBytes);
  }

  /** A kept buffer for a worker to encode records into, if there is one. */
  output(): Uint8Array | undefined {
    return this.#outputs.pop();
  }

  /** Takes back a buffer of encoded records, whole (the sink has written them). */
  keepOutput(buffer: Uint8Array): void {
    this.#keep(this.#outputs, buffer, this.#maxOutputBytes);
  }

  #keep(pool: Uint8Array[], buffer: Uint8Array, maxBytes: number): void {
    if (pool.length < this.#maxKept && buffer.length > 0 && buffer.length <= maxBytes) {
      pool.push(buffer);
    }
  }
}
