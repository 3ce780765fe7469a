/**
 * Streaming line reader: splits a byte stream into UTF-8 text lines in one linear pass, with
 * memory bounded by the longest line accepted, whatever the stream's size. A line that cannot be
 * text (too long, not UTF-8) is still yielded, numbered, with the problem, so a reader can report
 * it and go on with the next line.
 *
 * @module
 */

import { firstInvalidByte, utf8Length } from "./utf8.ts";

/** One line of a stream. */
export interface TextLine {
  /** The line without its end (`\n`, `\r\n` or `\r`); empty when it was too long to keep. */
  readonly text: string;
  /** 1-based line number. */
  readonly number: number;
  /** False for a last line that ended without a line end (a writer's torn leftover, maybe). */
  readonly terminated: boolean;
  /** Why the line is not usable text: longer than the limit, or not valid UTF-8. */
  readonly problem?: string;
  /** The line's bytes, kept only when they are not valid UTF-8 (for a dead-letter file). */
  readonly bytes?: Uint8Array;
}

/** Limits of {@linkcode readLines}. */
export interface LineReaderOptions {
  /** Longest line kept, in bytes (without its line end). Default {@linkcode DEFAULT_MAX_LINE_BYTES}. */
  readonly maxLineBytes?: number;
  /** Called with the byte count of every chunk read (for progress bars). */
  readonly onBytes?: (bytes: number) => void;
  /** Cancels the stream when aborted, even during a pending read; the lines then end. */
  readonly signal?: AbortSignal;
}

/**
 * Default of {@linkcode LineReaderOptions.maxLineBytes}: 4 MiB, a size whose parsed form (up to
 * about ten times the text for the densest JSON) fits the 128 MB heap the tasks give V8.
 */
export const DEFAULT_MAX_LINE_BYTES = 4 * 1024 * 1024;

const LF = 0x0a;
const CR = 0x0d;
/** The UTF-8 byte-order mark. */
const BOM = [0xef, 0xbb, 0xbf];

/**
 * Yields the lines of a UTF-8 byte stream. A line ends at `\n`, `\r\n` or a lone `\r` (old Mac
 * files). A leading byte-order mark is dropped. A final line without a line end is yielded with
 * `terminated: false`. A line longer than `maxLineBytes` is skipped without being kept (its
 * number and a `problem` are yielded); a line that is not valid UTF-8 is yielded with a `problem`,
 * its bytes and a best-effort text (U+FFFD for bad bytes).
 *
 * @example
 * ```ts
 * import { readLines } from "./line_reader.ts";
 * const stream = ReadableStream.from([new TextEncoder().encode('{"a":1}\r\n{"b":2}')]);
 * for await (const line of readLines(stream)) console.log(line.number, line.text);
 * ```
 */
export async function* readLines(
  stream: ReadableStream<Uint8Array>,
  options: LineReaderOptions = {},
): AsyncGenerator<TextLine> {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const assembler = new LineAssembler(maxLineBytes);
  const reader = stream.getReader();
  const cancel = () => void reader.cancel().catch(() => {});
  options.signal?.addEventListener("abort", cancel, { once: true });
  try {
    while (true) {
      if (options.signal?.aborted) return;
      const { done, value: chunk } = await reader.read();
      if (done) break;
      options.onBytes?.(chunk.byteLength);
      for (const line of assembler.push(chunk)) yield line;
    }
  } finally {
    options.signal?.removeEventListener("abort", cancel);
    reader.releaseLock();
  }
  if (options.signal?.aborted) return;
  const last = assembler.finish();
  if (last !== undefined) yield last;
}

/** Where a piece of an input cut by {@linkcode splitLines} sits in the whole. */
export interface LinePiece {
  /** The piece starts the input: a leading byte-order mark is dropped. */
  readonly startOfInput: boolean;
  /** The piece ends the input: its last line may lack a line end (`terminated: false`). */
  readonly endOfInput: boolean;
  /** Longest line kept, in bytes. Default {@linkcode DEFAULT_MAX_LINE_BYTES}. */
  readonly maxLineBytes?: number;
}

/**
 * The lines of `bytes`, a piece of an input cut at a line end (never between a `\r` and its
 * `\n`), exactly as {@linkcode readLines} yields them for the whole input, but numbered from 1
 * within the piece. Used by parallel recording, whose reader cuts the input into such pieces.
 *
 * @example
 * ```ts
 * import { splitLines } from "./line_reader.ts";
 * const bytes = new TextEncoder().encode("a\r\nb\n");
 * splitLines(bytes, { startOfInput: false, endOfInput: false }).map((l) => l.text); // => ["a", "b"]
 * ```
 */
export function splitLines(bytes: Uint8Array, piece: LinePiece): TextLine[] {
  const assembler = new LineAssembler(
    piece.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
    piece.startOfInput,
  );
  const lines = assembler.push(bytes);
  if (piece.endOfInput) {
    const last = assembler.finish();
    if (last !== undefined) lines.push(last);
  }
  return lines;
}

/**
 * The `problem` of a line longer than `maxLineBytes` (`bytes` long, line end excluded).
 *
 * @example
 * ```ts
 * import { tooLongProblem } from "./line_reader.ts";
 * tooLongProblem(10, 12); // => "expected a line of at most 10 bytes (--max-line-bytes), got 12 bytes: skipped without reading it"
 * ```
 */
export function tooLongProblem(maxLineBytes: number, bytes: number): string {
  return `expected a line of at most ${maxLineBytes} bytes (--max-line-bytes), got ` +
    `${bytes} bytes: skipped without reading it`;
}

/**
 * Decodes without `fatal` (six times faster here); a U+FFFD in the result means invalid bytes
 * or a real U+FFFD, which {@linkcode firstInvalidByte} then tells apart.
 */
const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
const REPLACEMENT = "\ufffd";

/** Bytes decoded at once by {@linkcode splitLines} (about; cut after a `\n`). */
const DECODE_BLOCK_BYTES = 64 * 1024;

/** The first line end (`\n` or `\r`) in `bytes` at or after `from`, or -1. */
function firstEnd(bytes: Uint8Array, from: number): number {
  const lf = bytes.indexOf(LF, from);
  // Look for a CR only before that LF: CR-free files (nearly all) then scan no further.
  const cr = (lf < 0 ? bytes.subarray(from) : bytes.subarray(from, lf)).indexOf(CR);
  return cr >= 0 ? from + cr : lf;
}

/** The last line end in `bytes` at or after `from`, or -1 (scans back over one line only). */
function lastEnd(bytes: Uint8Array, from: number): number {
  for (let i = bytes.length - 1; i >= from; i--) {
    const c = bytes[i];
    if (c === LF || c === CR) return i;
  }
  return -1;
}

/**
 * Cuts chunks into lines; holds at most `maxLineBytes` of the line that spans chunks. The
 * complete lines of a chunk are decoded in one call and split as text (fast); only a line that
 * spans chunks, or a chunk with invalid UTF-8, is handled line by line as bytes.
 */
class LineAssembler {
  readonly #max: number;
  /** The line that continues into the next chunk (copies: the stream may reuse its chunks). */
  #pieces: Uint8Array[] = [];
  /** Its length in bytes (also counted when too long to keep). */
  #length = 0;
  #number = 0;
  #first = true;
  /** Leading bytes of the first line that match a byte-order mark so far (3: it has one). */
  #bom = 0;
  /** The previous chunk ended in `\r`: a `\n` at the start of the next belongs to it. */
  #afterCr = false;

  /** `startOfInput`: false for a piece cut from the middle (no byte-order mark to drop). */
  constructor(maxLineBytes: number, startOfInput = true) {
    this.#max = maxLineBytes;
    this.#first = startOfInput;
  }

  /** The lines `chunk` completes (an array, not a generator: cheaper per line). */
  push(chunk: Uint8Array): TextLine[] {
    const out: TextLine[] = [];
    let start = 0;
    if (this.#afterCr) {
      this.#afterCr = false;
      if (chunk[0] === LF) start = 1;
    }
    if (this.#length > 0) {
      const end = firstEnd(chunk, start);
      if (end < 0) {
        this.#add(chunk.subarray(start));
        return out;
      }
      this.#add(chunk.subarray(start, end));
      out.push(this.#takeBytes(true));
      start = this.#pastEnd(chunk, end);
    }
    const last = lastEnd(chunk, start);
    if (last >= 0) {
      this.#completeBlocks(chunk.subarray(start, last + 1), out);
      start = this.#pastEnd(chunk, last);
    }
    if (start < chunk.length) this.#add(chunk.subarray(start));
    return out;
  }

  finish(): TextLine | undefined {
    return this.#length === 0 ? undefined : this.#takeBytes(false);
  }

  /** The offset after the line end at `end` (a `\r\n` is one end; a `\r` may pair later). */
  #pastEnd(chunk: Uint8Array, end: number): number {
    if (chunk[end] !== CR) return end + 1;
    if (end + 1 === chunk.length) {
      this.#afterCr = true;
      return end + 1;
    }
    return chunk[end + 1] === LF ? end + 2 : end + 1;
  }

  /**
   * Lines of `bytes`, which ends with a line end and starts a line, decoded in blocks of about
   * {@linkcode DECODE_BLOCK_BYTES} cut after a `\n`: a larger text would be allocated outside
   * V8's young generation, in fresh pages, for every chunk of parallel recording (a page fault
   * per 4 KiB).
   */
  #completeBlocks(bytes: Uint8Array, out: TextLine[]): void {
    let start = 0;
    while (bytes.length - start > DECODE_BLOCK_BYTES) {
      let end = bytes.lastIndexOf(LF, start + DECODE_BLOCK_BYTES - 1);
      if (end < start) end = bytes.indexOf(LF, start + DECODE_BLOCK_BYTES);
      if (end < 0) break;
      this.#completeLines(bytes.subarray(start, end + 1), out);
      start = end + 1;
    }
    if (start < bytes.length) this.#completeLines(bytes.subarray(start), out);
  }

  /** Lines of `bytes`, which ends with a line end and starts a line. */
  #completeLines(bytes: Uint8Array, out: TextLine[]): void {
    const text = decoder.decode(bytes);
    if (text.includes(REPLACEMENT)) {
      this.#linesAsBytes(bytes, out); // find the bad line(s) one by one
      return;
    }
    let pos = 0;
    let lf = text.indexOf("\n");
    let cr = text.indexOf("\r");
    while (pos < text.length) {
      if (lf >= 0 && lf < pos) lf = text.indexOf("\n", pos);
      if (cr >= 0 && cr < pos) cr = text.indexOf("\r", pos);
      const end = cr < 0 ? lf : lf < 0 ? cr : Math.min(lf, cr);
      // The usual line (not the first, short enough to be within the limit) is made inline:
      // with #textLine inlined here, TurboFan made every line cost time in proportion to the
      // whole text (27 ms for the 2,500 lines of 1 MiB against 0.2 ms, Deno 2.9.6).
      out.push(
        this.#first || (end - pos) * 3 > this.#max
          ? this.#textLine(text.slice(pos, end))
          : { text: text.slice(pos, end), number: ++this.#number, terminated: true },
      );
      pos = end + 1;
      if (end === cr && text.charCodeAt(pos) === LF) pos++;
    }
  }

  /** Lines of `bytes` (ending with a line end) decoded one at a time. */
  #linesAsBytes(bytes: Uint8Array, out: TextLine[]): void {
    let start = 0;
    while (start < bytes.length) {
      const end = firstEnd(bytes, start);
      this.#add(bytes.subarray(start, end));
      out.push(this.#takeBytes(true));
      start = bytes[end] === CR && bytes[end + 1] === LF ? end + 2 : end + 1;
    }
  }

  #textLine(raw: string): TextLine {
    const number = ++this.#number;
    let text = raw;
    if (this.#first) {
      this.#first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (text.length * 3 > this.#max) {
      const bytes = utf8Length(text);
      if (bytes > this.#max) return this.#tooLong(number, bytes, true);
    }
    return { text, number, terminated: true };
  }

  #tooLong(number: number, bytes: number, terminated: boolean): TextLine {
    return {
      text: "",
      number,
      terminated,
      problem: tooLongProblem(this.#max, bytes),
    };
  }

  #add(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    // The first line may carry a byte-order mark, which is not part of it.
    const max = this.#first ? this.#max + 3 : this.#max;
    if (this.#first) {
      for (let i = 0; i < bytes.length && this.#length + i < 3; i++) {
        if (bytes[i] === BOM[this.#length + i] && this.#bom === this.#length + i) this.#bom++;
      }
    }
    if (this.#length <= max) {
      if (this.#length + bytes.length > max) this.#pieces = []; // too long: stop keeping
      else this.#pieces.push(bytes.slice());
    }
    this.#length += bytes.length;
  }

  /** Ends the line held in pieces, decoding its bytes. */
  #takeBytes(terminated: boolean): TextLine {
    const number = ++this.#number;
    let length = this.#length;
    let bytes = this.#pieces.length === 1 ? this.#pieces[0] : concatBytes(this.#pieces, length);
    this.#pieces = [];
    this.#length = 0;
    if (this.#first) {
      this.#first = false;
      if (this.#bom === 3) {
        bytes = bytes.subarray(3);
        length -= 3;
      }
    }
    if (length > this.#max) return this.#tooLong(number, length, terminated);
    return textLineOfBytes(bytes, number, terminated);
  }
}

/**
 * One line made of bytes that are already apart (a message, say): decoded as UTF-8, or, when
 * they are not valid UTF-8, with a `problem` naming the first bad byte and the bytes kept.
 *
 * @example
 * ```ts
 * import { textLineOfBytes } from "./line_reader.ts";
 * textLineOfBytes(new TextEncoder().encode("{}"), 7).text; // => "{}"
 * textLineOfBytes(new Uint8Array([0xff]), 8).problem; // => "expected UTF-8 text, got an invalid byte at byte 1"
 * ```
 */
export function textLineOfBytes(bytes: Uint8Array, number: number, terminated = true): TextLine {
  const text = decoder.decode(bytes);
  const invalid = text.includes(REPLACEMENT) ? firstInvalidByte(bytes) : bytes.length + 1;
  if (invalid > bytes.length) return { text, number, terminated };
  return {
    text,
    number,
    terminated,
    problem: `expected UTF-8 text, got an invalid byte at byte ${invalid}`,
    bytes,
  };
}

/**
 * `pieces` joined into one new buffer of `length` bytes (their total).
 *
 * @example
 * ```ts
 * import { concatBytes } from "./line_reader.ts";
 * concatBytes([new Uint8Array([1]), new Uint8Array([2, 3])], 3); // => Uint8Array [1, 2, 3]
 * ```
 */
export function concatBytes(pieces: readonly Uint8Array[], length: number): Uint8Array {
  if (pieces.length === 0) return new Uint8Array(0);
  const out = new Uint8Array(length);
  let offset = 0;
  for (const piece of pieces) {
    out.set(piece, offset);
    offset += piece.length;
  }
  return out;
}

/**
 * True for a line with nothing in it but whitespace (a line with a problem is never blank: it
 * held something that could not be read).
 *
 * @example
 * ```ts
 * import { isBlankLine } from "./line_reader.ts";
 * isBlankLine({ text: "  ", number: 1, terminated: true }); // => true
 * ```
 */
export function isBlankLine(line: TextLine): boolean {
  return line.problem === undefined && line.text.trim().length === 0;
}
