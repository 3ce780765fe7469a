/**
 * Whole-line chunks of a byte stream (the reader of parallel recording and of the catalog's
 * parallel build): cuts it into chunks of whole lines (never between a `\r` and its `\n`), so
 * each chunk can be split (`splitLines`) and handled on its own by a worker, and lines
 * longer than the limit into a count of their bytes, never kept. Bytes are read straight into
 * the chunk's buffer (a BYOB read from a byte stream such as a file's; other streams are copied
 * in once), and the buffers may come from the caller, who gets them back from the workers: in
 * the steady state nothing is allocated. Memory is bounded by the chunk size plus the longest
 * line kept.
 *
 * @module
 */

import { DEFAULT_MAX_LINE_BYTES } from "./line_reader.ts";

/** A piece of the input: whole lines as bytes, or one line too long to keep. */
export type LineChunk =
  | {
    readonly kind: "lines";
    /** Whole lines (the last chunk's last line may lack its line end); owns its buffer. */
    readonly bytes: Uint8Array;
    /** The chunk starts the input (a byte-order mark may lead it). */
    readonly startOfInput: boolean;
    /** The chunk ends the input. */
    readonly endOfInput: boolean;
  }
  | {
    readonly kind: "too-long";
    /** The line's size in bytes, without its line end. */
    readonly bytes: number;
    /** False when the input ended inside it. */
    readonly terminated: boolean;
  };

/** Options of {@linkcode readLineChunks}. */
export interface LineChunkOptions {
  /**
   * Cut a chunk once this many bytes are read (it ends at the last line end, so it is at most
   * this big unless one line is longer). Default {@linkcode DEFAULT_CHUNK_BYTES}.
   */
  readonly chunkBytes?: number;
  /** Longest line kept, in bytes. Default `DEFAULT_MAX_LINE_BYTES`. */
  readonly maxLineBytes?: number;
  /** Called with the byte count of every read (progress). */
  readonly onBytes?: (bytes: number) => void;
  /** Cancels the stream when aborted, even during a pending read; the chunks then end. */
  readonly signal?: AbortSignal;
  /**
   * A whole buffer of at least `bytes` bytes to read into, whatever it holds (a reused one).
   * Default: a new one.
   */
  readonly buffer?: (bytes: number) => Uint8Array;
}

/**
 * Default of {@linkcode LineChunkOptions.chunkBytes}: 256 KiB, large enough that messages cost
 * little per line, small enough that a worker's young generation holds a chunk's garbage.
 */
export const DEFAULT_CHUNK_BYTES = 256 * 1024;

const LF = 0x0a;
const CR = 0x0d;

/** Just past the last line end in `bytes` (where the unended last line starts), or -1. */
function pastLastEnd(bytes: Uint8Array): number {
  for (let i = bytes.length - 1; i >= 0; i--) {
    const c = bytes[i];
    if (c === LF || c === CR) return i + 1;
  }
  return -1;
}

/** The first line end in `bytes` (`\n` or `\r`) at or after `from`, or -1. */
function firstEnd(bytes: Uint8Array, from: number): number {
  const lf = bytes.indexOf(LF, from);
  const cr = (lf < 0 ? bytes.subarray(from) : bytes.subarray(from, lf)).indexOf(CR);
  return cr >= 0 ? from + cr : lf;
}

const BOM = [0xef, 0xbb, 0xbf];

/**
 * Bytes of a byte-order mark at the start of `bytes` (the input's first bytes): 3 or 0, or -1
 * while they are fewer than 3 and could still become one.
 */
function leadingBom(bytes: Uint8Array): number {
  for (let i = 0; i < 3; i++) {
    if (i === bytes.length) return -1;
    if (bytes[i] !== BOM[i]) return 0;
  }
  return 3;
}

/** What {@linkcode StreamFiller.fill} read. */
interface Filled {
  readonly buffer: Uint8Array | undefined;
  readonly count: number;
  readonly done: boolean;
}

/**
 * Reads a stream into the caller's buffers: by BYOB reads from a byte stream (a file's), else by
 * copying its chunks in (what does not fit waits for the next call).
 */
class StreamFiller {
  readonly #byob: ReadableStreamBYOBReader | undefined;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #left: Uint8Array | undefined;

  constructor(stream: ReadableStream<Uint8Array>) {
    let byob: ReadableStreamBYOBReader | undefined;
    try {
      byob = stream.getReader({ mode: "byob" });
    } catch {
      byob = undefined; // not a byte stream
    }
    this.#byob = byob;
    this.#reader = byob === undefined ? stream.getReader() : undefined;
  }

  /**
   * Reads the next bytes into `buffer` (whole, with room after `offset`) at `offset`. Returns
   * the buffer — after a BYOB read a new view of the same memory, the old one being detached;
   * undefined when the stream was cancelled during the read, which loses it — how many bytes
   * came, and whether the stream has ended (no bytes came then).
   */
  async fill(buffer: Uint8Array, offset: number): Promise<Filled> {
    if (this.#byob !== undefined) {
      const size = buffer.length; // read before the read detaches `buffer`
      const { done, value } = await this.#byob.read(
        new Uint8Array(buffer.buffer, buffer.byteOffset + offset, size - offset),
      );
      return {
        buffer: value === undefined
          ? undefined
          : new Uint8Array(value.buffer, value.byteOffset - offset, size),
        count: done || value === undefined ? 0 : value.length,
        done: done || value === undefined,
      };
    }
    let piece = this.#left;
    this.#left = undefined;
    if (piece === undefined) {
      const { done, value } = await this.#reader!.read();
      if (done) return { buffer, count: 0, done: true };
      piece = value;
    }
    const count = Math.min(piece.length, buffer.length - offset);
    buffer.set(piece.subarray(0, count), offset);
    // A copy: the stream may reuse its chunks.
    if (count < piece.length) this.#left = piece.slice(count);
    return { buffer, count, done: false };
  }

  /** Cancels the stream; a pending {@linkcode StreamFiller.fill} then ends it. */
  cancel(): void {
    void (this.#byob ?? this.#reader)!.cancel().catch(() => {});
  }

  /** Lets go of the stream. */
  release(): void {
    (this.#byob ?? this.#reader)!.releaseLock();
  }
}

/**
 * Yields the chunks of `stream` in order. Each `lines` chunk holds whole lines at the start of
 * its own buffer (so it can be transferred to a worker; the reader never touches it again). A
 * line longer than `maxLineBytes` is yielded as a `too-long` chunk with its size, without being
 * kept.
 *
 * @example
 * ```ts
 * import { readLineChunks } from "./line_chunks.ts";
 * const stream = ReadableStream.from([new TextEncoder().encode("a\nb\nc")]);
 * for await (const chunk of readLineChunks(stream, { chunkBytes: 2 })) console.log(chunk.kind);
 * ```
 */
export async function* readLineChunks(
  stream: ReadableStream<Uint8Array>,
  options: LineChunkOptions = {},
): AsyncGenerator<LineChunk> {
  const chunkBytes = Math.max(1, options.chunkBytes ?? DEFAULT_CHUNK_BYTES);
  const max = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const newBuffer = options.buffer ?? ((bytes: number) => new Uint8Array(bytes));
  const filler = new StreamFiller(stream);
  const cancel = () => filler.cancel();
  options.signal?.addEventListener("abort", cancel, { once: true });
  /** Bytes read and not yet yielded are `buffer[0, length)`. */
  let buffer = newBuffer(chunkBytes);
  let length = 0;
  /** Where the unended last line starts in them (0: no line end in them). */
  let tailStart = 0;
  let started = false;
  /** Bytes of a too-long line seen so far, while skipping it; -1 when not skipping. */
  let skipped = -1;
  /** The previous read ended in `\r` ending a skipped line: a `\n` next belongs to it. */
  let afterCr = false;
  const lines = (bytes: Uint8Array, endOfInput: boolean): LineChunk => {
    const chunk: LineChunk = { kind: "lines", bytes, startOfInput: !started, endOfInput };
    started = true;
    return chunk;
  };
  /**
   * `buffer[0, cut)` as a chunk; the bytes after `cut` move to the start of a fresh buffer
   * (dropped when `keepRest` is false: a too-long line being skipped).
   */
  const cutAt = (cut: number, endOfInput: boolean, keepRest = true): LineChunk => {
    const chunk = buffer.subarray(0, cut);
    if (!endOfInput) {
      const rest = keepRest ? length - cut : 0;
      const next = newBuffer(Math.max(chunkBytes, 2 * rest));
      next.set(buffer.subarray(cut, cut + rest));
      buffer = next;
      length = rest;
      tailStart = Math.max(0, pastLastEnd(buffer.subarray(0, length)));
    }
    return lines(chunk, endOfInput);
  };
  try {
    while (true) {
      if (options.signal?.aborted) return;
      if (length === buffer.length) {
        // One unended line fills the buffer: a larger one (the line is at most `max` bytes).
        const larger = newBuffer(2 * buffer.length);
        larger.set(buffer.subarray(0, length));
        buffer = larger;
      }
      const filled = await filler.fill(buffer, length);
      if (filled.buffer === undefined) return; // cancelled (aborted): nothing more is yielded
      buffer = filled.buffer;
      if (filled.done) break;
      let count = filled.count;
      options.onBytes?.(count);
      let from = length;
      if (afterCr && count > 0) {
        afterCr = false;
        if (buffer[from] === LF) from++;
      }
      if (skipped >= 0) {
        // Skipping a too-long line: the buffer is scratch; look for the line's end.
        const read = buffer.subarray(from, length + count);
        const end = firstEnd(read, 0);
        if (end < 0) {
          skipped += read.length;
          continue;
        }
        started = true;
        yield { kind: "too-long", bytes: skipped + end, terminated: true };
        skipped = -1;
        if (read[end] === CR && end + 1 === read.length) afterCr = true;
        const past = from + (read[end] === CR && read[end + 1] === LF ? end + 2 : end + 1);
        buffer.copyWithin(0, past, length + count);
        count = length + count - past;
        from = 0;
        length = 0;
      } else if (from > length) {
        // A \n completing the \r that ended a skipped line: drop it.
        buffer.copyWithin(length, from, length + count);
        count -= from - length;
        from = length;
      }
      if (count === 0) continue;
      const past = pastLastEnd(buffer.subarray(from, from + count));
      if (past >= 0) tailStart = from + past;
      length = from + count;
      let tail = length - tailStart;
      if (tail > max && !started && tailStart === 0) {
        // The first line: a byte-order mark leading it is not part of it.
        const bom = leadingBom(buffer.subarray(0, length));
        tail = bom < 0 ? 0 : tail - bom;
      }
      if (tail > max) {
        // The unended last line is already too long: yield the lines before it, skip the rest.
        skipped = tail;
        if (tailStart > 0) yield cutAt(tailStart, false, false);
        length = 0;
        tailStart = 0;
        continue;
      }
      if (length < chunkBytes || tailStart === 0) continue;
      let cut = tailStart;
      if (cut === length && buffer[length - 1] === CR) {
        // Its \n may come in the next read: cut at the line end before, if there is one.
        cut = pastLastEnd(buffer.subarray(0, length - 1));
        if (cut <= 0) continue;
      }
      yield cutAt(cut, false);
    }
  } finally {
    options.signal?.removeEventListener("abort", cancel);
    filler.release();
  }
  if (options.signal?.aborted) return;
  if (skipped >= 0) yield { kind: "too-long", bytes: skipped, terminated: false };
  else if (length > 0) yield cutAt(length, true);
}
