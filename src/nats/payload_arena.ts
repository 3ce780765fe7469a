/**
 * Message payloads kept as UTF-8 bytes outside the JavaScript heap while they wait for their
 * publish and its ack. A publisher's queue holds megabytes of messages, so a JSON string waiting
 * there outlives V8's young generation: every payload was copied by the scavenger and promoted
 * to the old generation, which then filled with dead payloads (in `main.ts --publish`, about
 * half of what survived a scavenge was the payload strings). Encoded into large shared chunks
 * instead, a payload string dies young and the queue holds one small view per message; the
 * client library sends the bytes as they are (a string it would encode again per publish).
 *
 * A chunk is never written again once a view of it was handed out: the client may still hold a
 * view while it reconnects, and a view retried after a failed batch must stay intact. A chunk is
 * freed by the garbage collector when its last view is.
 *
 * @module
 */

/** Bytes of one chunk: about a hundred snapshot payloads. */
export const PAYLOAD_CHUNK_BYTES = 64 * 1024;

const encoder = new TextEncoder();

/**
 * Encodes strings into shared chunks, handing out a view of each one's bytes.
 *
 * @example
 * ```ts
 * import { PayloadArena } from "./payload_arena.ts";
 * const arena = new PayloadArena();
 * const bytes = arena.encode('{"s":"삼성"}');
 * bytes.length; // => 14
 * ```
 */
export class PayloadArena {
  readonly #chunkBytes: number;
  #chunk: Uint8Array;
  #used = 0;

  /** `chunkBytes`: size of each chunk (a larger text gets a buffer of its own). */
  constructor(chunkBytes: number = PAYLOAD_CHUNK_BYTES) {
    if (!Number.isSafeInteger(chunkBytes) || chunkBytes <= 0) {
      throw new RangeError(`chunkBytes: expected a positive integer, got ${chunkBytes}`);
    }
    this.#chunkBytes = chunkBytes;
    this.#chunk = new Uint8Array(chunkBytes);
  }

  /** The UTF-8 bytes of `text`, as a view that stays valid and unchanged. */
  encode(text: string): Uint8Array {
    // A UTF-8 encoding takes at most 3 bytes per UTF-16 unit.
    if (text.length * 3 > this.#chunkBytes) return encoder.encode(text);
    let start = this.#used;
    if (text.length * 3 > this.#chunkBytes - start) {
      const { read, written } = encoder.encodeInto(text, this.#chunk.subarray(start));
      if (read === text.length) return this.#take(start, written);
      this.#chunk = new Uint8Array(this.#chunkBytes);
      start = 0;
    }
    return this.#take(start, encoder.encodeInto(text, this.#chunk.subarray(start)).written);
  }

  #take(start: number, written: number): Uint8Array {
    this.#used = start + written;
    return this.#chunk.subarray(start, this.#used);
  }
}
