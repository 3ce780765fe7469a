/**
 * The reader of parallel recording: cuts a byte stream into chunks of whole lines (never between
 * a `\r` and its `\n`), so each chunk can be split and judged on its own by a worker, and lines
 * longer than the limit into a count of their bytes, never kept. Memory is bounded by the chunk
 * size plus the longest line kept.
 *
 * @module
 */

import { concatBytes, DEFAULT_MAX_LINE_BYTES } from "../io/line_reader.ts";

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
  /** Cut a chunk once this many bytes are read (it ends at the last line end). Default 64 KiB. */
  readonly chunkBytes?: number;
  /** Longest line kept, in bytes. Default `DEFAULT_MAX_LINE_BYTES`. */
  readonly maxLineBytes?: number;
  /** Called with the byte count of every read (progress). */
  readonly onBytes?: (bytes: number) => void;
  /** Cancels the stream when aborted, even during a pending read; the chunks then end. */
  readonly signal?: AbortSignal;
}

/** Default of {@linkcode LineChunkOptions.chunkBytes}. */
export const DEFAULT_CHUNK_BYTES = 64 * 1024;

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

/** The first line end in `bytes` (`\n` or `\r`), or -1. */
function firstEnd(bytes: Uint8Array): number {
  const lf = bytes.indexOf(LF);
  const cr = (lf < 0 ? bytes : bytes.subarray(0, lf)).indexOf(CR);
  return cr >= 0 ? cr : lf;
}

const BOM = [0xef, 0xbb, 0xbf];

/**
 * Bytes of a byte-order mark at the start of `pieces` (the input's first bytes): 3 or 0, or -1
 * while they are fewer than 3 and could still become one.
 */
function leadingBom(pieces: readonly Uint8Array[]): number {
  let seen = 0;
  for (const piece of pieces) {
    for (let i = 0; i < piece.length && seen < 3; i++, seen++) {
      if (piece[i] !== BOM[seen]) return 0;
    }
    if (seen === 3) return 3;
  }
  return -1;
}

function concat(pieces: readonly Uint8Array[], length: number): Uint8Array {
  return pieces.length === 1 && pieces[0].length === length
    ? pieces[0]
    : concatBytes(pieces, length);
}

/**
 * Yields the chunks of `stream` in order. Each `lines` chunk holds whole lines and owns its
 * buffer (it can be transferred to a worker). A line longer than `maxLineBytes` is yielded as a
 * `too-long` chunk with its size, without being kept.
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
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const max = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const reader = stream.getReader();
  const cancel = () => void reader.cancel().catch(() => {});
  options.signal?.addEventListener("abort", cancel, { once: true });
  /** Bytes read and not yet yielded (copies: the stream may reuse its buffers). */
  let pieces: Uint8Array[] = [];
  let length = 0;
  /** Where the unended last line starts in the joined pieces (0: no line end in them). */
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
  const take = (cut: number, endOfInput: boolean): LineChunk => {
    const joined = concat(pieces, length);
    const rest = joined.slice(cut);
    pieces = rest.length > 0 ? [rest] : [];
    length = rest.length;
    tailStart = Math.max(0, pastLastEnd(rest));
    return lines(cut === joined.length ? joined : joined.subarray(0, cut), endOfInput);
  };
  try {
    while (true) {
      if (options.signal?.aborted) return;
      const { done, value } = await reader.read();
      if (done) break;
      options.onBytes?.(value.byteLength);
      let read = value;
      if (afterCr) {
        afterCr = false;
        if (read[0] === LF) read = read.subarray(1);
      }
      if (skipped >= 0) {
        const end = firstEnd(read);
        if (end < 0) {
          skipped += read.length;
          continue;
        }
        started = true;
        yield { kind: "too-long", bytes: skipped + end, terminated: true };
        skipped = -1;
        if (read[end] === CR && end + 1 === read.length) afterCr = true;
        read = read.subarray(read[end] === CR && read[end + 1] === LF ? end + 2 : end + 1);
      }
      if (read.length === 0) continue;
      pieces.push(read.slice());
      const past = pastLastEnd(read);
      if (past >= 0) tailStart = length + past;
      length += read.length;
      let tail = length - tailStart;
      if (tail > max && !started && tailStart === 0) {
        // The first line: a byte-order mark leading it is not part of it.
        const bom = leadingBom(pieces);
        tail = bom < 0 ? 0 : tail - bom;
      }
      if (tail > max) {
        // The unended last line is already too long: yield the lines before it, skip the rest.
        skipped = tail;
        if (tailStart > 0) yield take(tailStart, false);
        pieces = [];
        length = 0;
        tailStart = 0;
        continue;
      }
      if (length < chunkBytes || tailStart === 0) continue;
      let cut = tailStart;
      if (cut === length && read[read.length - 1] === CR) {
        // Its \n may come in the next read: cut at the line end before, if there is one.
        const joined = concat(pieces, length);
        pieces = [joined];
        cut = pastLastEnd(joined.subarray(0, length - 1));
        if (cut <= 0) continue;
      }
      yield take(cut, false);
    }
  } finally {
    options.signal?.removeEventListener("abort", cancel);
    reader.releaseLock();
  }
  if (options.signal?.aborted) return;
  if (skipped >= 0) yield { kind: "too-long", bytes: skipped, terminated: false };
  else if (length > 0) yield take(length, true);
}
