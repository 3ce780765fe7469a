/**
 * Reads a log forward from a position, a chunk of whole lines at a time, across its files: once
 * a file is read to its end and a later file exists, the writer has moved on (it creates the
 * next file only after its last write to the previous one), so the reader does too. A line
 * being written (no `\n` yet) is left for the next read. Memory: one chunk, or one line when a
 * line is longer than a chunk.
 *
 * @module
 */

import { join } from "node:path";
import { DEFAULT_MAX_LINE_BYTES, splitLines, type TextLine } from "../io/line_reader.ts";
import { compareLogFiles, listLogFiles, type LogLocation } from "./log_files.ts";
import { countNewlines } from "../io/utf8.ts";

/** A place in a log: a file and a byte offset in it (at a line start). */
export interface LogPosition {
  /** The file's name. */
  readonly file: string;
  /** Byte offset in it. */
  readonly offset: number;
}

/** Whole lines read from one file of the log, and where the next read starts. */
export interface LogChunk {
  /** The lines (blank ones included), numbered from 1 within the chunk. */
  readonly lines: readonly TextLine[];
  /** Where they start. */
  readonly start: LogPosition;
  /** Just past the last of them. */
  readonly end: LogPosition;
  /** The file's identity ({@linkcode fileIdentity}). */
  readonly identity?: string;
}

/** Options of a {@linkcode LogReader}. */
export interface LogReaderOptions {
  /** Bytes read at a time (a chunk holds at most this much, unless one line is longer). */
  readonly chunkBytes?: number;
  /** Longest line, in bytes; a longer one stops the reader with an error naming its place. */
  readonly maxLineBytes?: number;
  /** Told when the position's file is gone and reading goes on at the next file. */
  readonly onMissingFile?: (missing: string, next: string | undefined) => void;
  /** Told when a finished file ends in bytes that are not a whole line (left by a crash). */
  readonly onTornTail?: (file: string, bytes: number) => void;
}

/** Default {@linkcode LogReaderOptions.chunkBytes}: 1 MiB. */
export const DEFAULT_CHUNK_BYTES = 1024 * 1024;

const LF = 0x0a;

/**
 * A forward reader of one log.
 *
 * @example
 * ```ts
 * import { LogReader } from "./log_reader.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/observer.jsonl`, '{"a":1}\n{"a":2}\n');
 * using reader = new LogReader({ dir, base: "observer" });
 * (await reader.next())?.lines.length; // => 2
 * await reader.next(); // => undefined (at the end, for now)
 * ```
 */
export class LogReader implements Disposable {
  readonly #log: LogLocation;
  readonly #chunkBytes: number;
  readonly #maxLineBytes: number;
  readonly #onMissingFile: LogReaderOptions["onMissingFile"];
  #position: LogPosition | undefined;
  #file: Deno.FsFile | undefined;
  #identity: string | undefined;
  #buffer: Uint8Array;
  /** The file read once more after a later file was seen, before moving on. */
  #draining: string | undefined;
  readonly #onTornTail: LogReaderOptions["onTornTail"];

  /** Starts at `from`, or at the start of the oldest file when undefined. */
  constructor(log: LogLocation, from?: LogPosition, options: LogReaderOptions = {}) {
    this.#log = log;
    this.#position = from;
    this.#chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    this.#maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.#onMissingFile = options.onMissingFile;
    this.#onTornTail = options.onTornTail;
    this.#buffer = new Uint8Array(this.#chunkBytes);
  }

  /** Where the next read starts (undefined before the log has a file). */
  get position(): LogPosition | undefined {
    return this.#position;
  }

  /**
   * The next chunk of whole lines, or undefined when everything written so far has been read
   * (call again later: the log may grow).
   */
  async next(): Promise<LogChunk | undefined> {
    while (true) {
      const position = this.#position ?? await this.#oldest();
      if (position === undefined) return undefined;
      this.#position = position;
      const file = await this.#open(position);
      if (file === undefined) continue; // the file was gone: the position moved on
      const chunk = await this.#read(file, position);
      if (chunk !== undefined) return chunk;
      if (!await this.#moveOn(position)) return undefined;
    }
  }

  /**
   * Bytes of the log after the position: the rest of its file and every later file.
   *
   * @example
   * ```ts
   * import { LogReader } from "./log_reader.ts";
   * declare const reader: LogReader;
   * await reader.bytesBehind(); // => 0 when caught up
   * ```
   */
  async bytesBehind(): Promise<number> {
    const files = await listLogFiles(this.#log);
    const position = this.#position;
    let total = 0;
    for (const name of files) {
      const order = position === undefined
        ? 1
        : compareLogFiles(this.#log.base, name, position.file);
      if (order < 0) continue;
      const size = await fileSize(join(this.#log.dir, name));
      total += order === 0 ? Math.max(0, size - position!.offset) : size;
    }
    return total;
  }

  /**
   * Lines (line ends) of the log after the position, counted by reading it (at most
   * `limitBytes`; past that, undefined). `bytesBehind` spares measuring it again when known.
   */
  async linesBehind(
    limitBytes = 256 * 1024 * 1024,
    bytesBehind?: number,
  ): Promise<number | undefined> {
    if ((bytesBehind ?? await this.bytesBehind()) > limitBytes) return undefined;
    const files = await listLogFiles(this.#log);
    const position = this.#position;
    const buffer = new Uint8Array(DEFAULT_CHUNK_BYTES);
    let lines = 0;
    for (const name of files) {
      const order = position === undefined
        ? 1
        : compareLogFiles(this.#log.base, name, position.file);
      if (order < 0) continue;
      let file: Deno.FsFile;
      try {
        file = await Deno.open(join(this.#log.dir, name), { read: true });
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) continue;
        throw error;
      }
      try {
        if (order === 0) await file.seek(position!.offset, Deno.SeekMode.Start);
        for (let n = await file.read(buffer); n !== null; n = await file.read(buffer)) {
          lines += countNewlines(buffer.subarray(0, n));
        }
      } finally {
        file.close();
      }
    }
    return lines;
  }

  /** Closes the open file. */
  close(): void {
    this.#file?.close();
    this.#file = undefined;
  }

  /** Same as {@linkcode close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  async #oldest(): Promise<LogPosition | undefined> {
    const [first] = await listLogFiles(this.#log);
    return first === undefined ? undefined : { file: first, offset: 0 };
  }

  /** The open file of the position; undefined (and the position moved on) when it is gone. */
  async #open(position: LogPosition): Promise<Deno.FsFile | undefined> {
    if (this.#file !== undefined) return this.#file;
    try {
      this.#file = await Deno.open(join(this.#log.dir, position.file), { read: true });
      this.#identity = await fileIdentity(this.#file);
      return this.#file;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    const files = await listLogFiles(this.#log);
    const next = files.find((name) => compareLogFiles(this.#log.base, name, position.file) > 0);
    this.#onMissingFile?.(position.file, next);
    // Nothing after it: start at whatever file comes first.
    this.#position = next === undefined ? undefined : { file: next, offset: 0 };
    return undefined;
  }

  /** Reads whole lines at the position, or undefined at the end of what is written. */
  async #read(file: Deno.FsFile, position: LogPosition): Promise<LogChunk | undefined> {
    await file.seek(position.offset, Deno.SeekMode.Start);
    let filled = 0;
    let end = 0;
    while (true) {
      while (filled < this.#buffer.length) {
        const n = await file.read(this.#buffer.subarray(filled));
        if (n === null) break;
        filled += n;
      }
      end = this.#buffer.subarray(0, filled).lastIndexOf(LF) + 1;
      if (end > 0 || filled < this.#buffer.length) break;
      // One line longer than the buffer: grow it (up to the longest line allowed) and read on.
      if (this.#buffer.length > this.#maxLineBytes) {
        throw new Error(
          `${join(this.#log.dir, position.file)} at byte ${position.offset}: expected a line ` +
            `of at most ${this.#maxLineBytes} bytes, got a longer one`,
        );
      }
      const larger = new Uint8Array(Math.min(this.#buffer.length * 2, this.#maxLineBytes + 1));
      larger.set(this.#buffer.subarray(0, filled));
      this.#buffer = larger;
    }
    if (end === 0) return undefined;
    const lines = wholeLines(this.#buffer.subarray(0, end), this.#maxLineBytes);
    const next = { file: position.file, offset: position.offset + end };
    this.#position = next;
    this.#draining = undefined;
    if (this.#buffer.length > this.#chunkBytes) this.#buffer = new Uint8Array(this.#chunkBytes);
    return { lines, start: position, end: next, identity: this.#identity };
  }

  /**
   * At the end of the position's file: moves to the next file when one exists. The first time
   * a later file is seen, this one is read once more (lines written just before the writer
   * moved on); what is left after that is a torn leftover of a crash, not a line. False when
   * there is nothing more to read for now.
   */
  async #moveOn(position: LogPosition): Promise<boolean> {
    const files = await listLogFiles(this.#log);
    const next = files.find((name) => compareLogFiles(this.#log.base, name, position.file) > 0);
    if (next === undefined) return false;
    if (this.#draining !== position.file) {
      this.#draining = position.file;
      return true;
    }
    const size = await fileSize(join(this.#log.dir, position.file));
    if (size > position.offset) this.#onTornTail?.(position.file, size - position.offset);
    this.close();
    this.#draining = undefined;
    this.#position = { file: next, offset: 0 };
    return true;
  }
}

/**
 * What tells a log file from another one of the same name: its inode and a hash of its first
 * line (an inode number may be reused at once for a file written again under the name; the
 * first record of another recording differs). Undefined for an empty file.
 *
 * @example
 * ```ts
 * import { fileIdentity } from "./log_reader.ts";
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, '{"a":1}\n');
 * using file = await Deno.open(path);
 * await fileIdentity(file); // => "<inode>:<16 hex digits>"
 * ```
 */
export async function fileIdentity(file: Deno.FsFile): Promise<string | undefined> {
  const head = new Uint8Array(4096);
  await file.seek(0, Deno.SeekMode.Start);
  let filled = 0;
  while (filled < head.length) {
    const n = await file.read(head.subarray(filled));
    if (n === null) break;
    filled += n;
  }
  if (filled === 0) return undefined;
  const end = head.subarray(0, filled).indexOf(LF);
  const firstLine = head.subarray(0, end < 0 ? filled : end);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", firstLine));
  const hex = [...digest.subarray(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${(await file.stat()).ino ?? 0}:${hex}`;
}

const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * The lines of `bytes` (whole lines, each ending in `\n`). The log is UTF-8 with `\n` line ends
 * only (a record's JSON escapes every control character), so the fast way decodes the chunk once
 * (replacing: 2-3 times faster than a fatal decoder) and splits it; anything else (a U+FFFD in
 * the text: invalid UTF-8, or that character written; a `\r`) takes the project's line reader,
 * which names the problem of each line.
 */
function wholeLines(bytes: Uint8Array, maxLineBytes: number): TextLine[] {
  // Searched in the text, not the bytes: a typed array's indexOf is several times slower.
  const text = utf8.decode(bytes);
  if (!text.includes("\uFFFD") && !text.includes("\r")) {
    const parts = text.split("\n");
    parts.pop(); // after the last line end
    if (parts.every((part) => part.length <= maxLineBytes)) {
      return parts.map((part, i) => ({ text: part, number: i + 1, terminated: true }));
    }
  }
  return splitLines(bytes, { startOfInput: false, endOfInput: false, maxLineBytes });
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await Deno.stat(path)).size;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return 0;
    throw error;
  }
}
