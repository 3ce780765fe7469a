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
  const chunker = new LineChunker(options);
  const filler = new StreamFiller(stream);
  const cancel = () => filler.cancel();
  options.signal?.addEventListener("abort", cancel, { once: true });
  try {
    while (true) {
      if (options.signal?.aborted) return;
      const filled = await filler.fill(chunker.room(), chunker.length);
      if (filled.buffer === undefined) return; // cancelled (aborted): nothing more is yielded
      if (filled.done) {
        chunker.adopt(filled.buffer);
        break;
      }
      options.onBytes?.(filled.count);
      yield* chunker.take(filled.buffer, filled.count);
    }
  } finally {
    options.signal?.removeEventListener("abort", cancel);
    filler.release();
  }
  if (options.signal?.aborted) return;
  yield* chunker.end();
}

/** Cuts the bytes read into chunks of whole lines, skipping lines that are too long. */
class LineChunker {
  readonly #chunkBytes: number;
  readonly #max: number;
  readonly #newBuffer: (bytes: number) => Uint8Array;
  /** Bytes read and not yet yielded are `buffer[0, length)`. */
  #buffer: Uint8Array;
  #length = 0;
  /** Where the unended last line starts in them (0: no line end in them). */
  #tailStart = 0;
  #started = false;
  /** Bytes of a too-long line seen so far, while skipping it; -1 when not skipping. */
  #skipped = -1;
  /** The previous read ended in `\r` ending a skipped line: a `\n` next belongs to it. */
  #afterCr = false;

  constructor(options: LineChunkOptions) {
    this.#chunkBytes = Math.max(1, options.chunkBytes ?? DEFAULT_CHUNK_BYTES);
    this.#max = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.#newBuffer = options.buffer ?? ((bytes: number) => new Uint8Array(bytes));
    this.#buffer = this.#newBuffer(this.#chunkBytes);
  }

  /** Bytes held, at the start of the buffer; the next read goes after them. */
  get length(): number {
    return this.#length;
  }

  /** The buffer to read into after {@linkcode LineChunker.length}, with room for at least one byte. */
  room(): Uint8Array {
    if (this.#length === this.#buffer.length) {
      // One unended line fills the buffer: a larger one (the line is at most `max` bytes).
      const larger = this.#newBuffer(2 * this.#buffer.length);
      larger.set(this.#buffer.subarray(0, this.#length));
      this.#buffer = larger;
    }
    return this.#buffer;
  }

  /** Takes the buffer back from a read that brought nothing (a new view after a BYOB read). */
  adopt(buffer: Uint8Array): void {
    this.#buffer = buffer;
  }

  /** Takes `count` bytes read into `buffer` after `length`, yielding the chunks they complete. */
  *take(buffer: Uint8Array, count: number): Generator<LineChunk> {
    this.#buffer = buffer;
    let from = this.#length;
    if (this.#afterCr && count > 0) {
      this.#afterCr = false;
      if (buffer[from] === LF) from++;
    }
    if (this.#skipped >= 0) {
      const rest = yield* this.#skipTooLong(from, count);
      if (rest === undefined) return;
      from = 0;
      count = rest;
    } else if (from > this.#length) {
      // A \n completing the \r that ended a skipped line: drop it.
      buffer.copyWithin(this.#length, from, this.#length + count);
      count -= from - this.#length;
      from = this.#length;
    }
    if (count > 0) yield* this.#addLines(from, count);
  }

  /** What is left at the end of the input: the last line, or the too-long line being skipped. */
  *end(): Generator<LineChunk> {
    if (this.#skipped >= 0) yield { kind: "too-long", bytes: this.#skipped, terminated: false };
    else if (this.#length > 0) yield this.#cutAt(this.#length, true);
  }

  /**
   * Skipping a too-long line: the buffer is scratch; looks for the line's end in the `count`
   * bytes at `from`. Returns undefined while it has not ended, else how many bytes after its end
   * are left, moved to the start of the buffer.
   */
  *#skipTooLong(from: number, count: number): Generator<LineChunk, number | undefined> {
    const buffer = this.#buffer;
    const length = this.#length;
    const read = buffer.subarray(from, length + count);
    const end = firstEnd(read, 0);
    if (end < 0) {
      this.#skipped += read.length;
      return undefined;
    }
    this.#started = true;
    yield { kind: "too-long", bytes: this.#skipped + end, terminated: true };
    this.#skipped = -1;
    if (read[end] === CR && end + 1 === read.length) this.#afterCr = true;
    const past = from + (read[end] === CR && read[end + 1] === LF ? end + 2 : end + 1);
    buffer.copyWithin(0, past, length + count);
    this.#length = 0;
    return length + count - past;
  }

  /** Adds `count` bytes of lines at `from`, yielding a chunk once enough whole lines are held. */
  *#addLines(from: number, count: number): Generator<LineChunk> {
    const buffer = this.#buffer;
    const past = pastLastEnd(buffer.subarray(from, from + count));
    if (past >= 0) this.#tailStart = from + past;
    const length = this.#length = from + count;
    let tail = length - this.#tailStart;
    if (tail > this.#max && !this.#started && this.#tailStart === 0) {
      // The first line: a byte-order mark leading it is not part of it.
      const bom = leadingBom(buffer.subarray(0, length));
      tail = bom < 0 ? 0 : tail - bom;
    }
    if (tail > this.#max) {
      // The unended last line is already too long: yield the lines before it, skip the rest.
      this.#skipped = tail;
      if (this.#tailStart > 0) yield this.#cutAt(this.#tailStart, false, false);
      this.#length = 0;
      this.#tailStart = 0;
      return;
    }
    if (length < this.#chunkBytes || this.#tailStart === 0) return;
    let cut = this.#tailStart;
    if (cut === length && buffer[length - 1] === CR) {
      // Its \n may come in the next read: cut at the line end before, if there is one.
      cut = pastLastEnd(buffer.subarray(0, length - 1));
      if (cut <= 0) return;
    }
    yield this.#cutAt(cut, false);
  }

  /**
   * `buffer[0, cut)` as a chunk; the bytes after `cut` move to the start of a fresh buffer
   * (dropped when `keepRest` is false: a too-long line being skipped).
   */
  #cutAt(cut: number, endOfInput: boolean, keepRest = true): LineChunk {
    const chunk = this.#buffer.subarray(0, cut);
    if (!endOfInput) {
      const rest = keepRest ? this.#length - cut : 0;
      const next = this.#newBuffer(Math.max(this.#chunkBytes, 2 * rest));
      next.set(this.#buffer.subarray(cut, cut + rest));
      this.#buffer = next;
      this.#length = rest;
      this.#tailStart = Math.max(0, pastLastEnd(next.subarray(0, rest)));
    }
    const lines: LineChunk = {
      kind: "lines",
      bytes: chunk,
      startOfInput: !this.#started,
      endOfInput,
    };
    this.#started = true;
    return lines;
  }
}
