/**
 * One subscriber of the stream of the record file, and what it does on its own while it is
 * behind the tail: open the file its cursor names, wait until its client wants more, and read
 * whole lines from its cursor.
 *
 * @module
 */

import type { RecordPredicate } from "../sinks/record_filter.ts";
import { type Cursor, fileKey, parseLine, readRange } from "./file_stream_reading.ts";

/** A subscriber of the file stream. */
export interface Subscriber {
  /** The records it asked for. */
  readonly filter: RecordPredicate;
  /** Its event stream. */
  readonly controller: ReadableStreamDefaultController<Uint8Array>;
  /** Where it is in the record files. */
  readonly cursor: Cursor;
  /** True while it reads the file on its own (behind the tail). */
  behind: boolean;
  /** True until a resumed cursor was checked to stand at the start of a line. */
  unchecked?: boolean;
  /** Resolves the wait for the client to want more. */
  wake?: () => void;
  /** True once it was let go of. */
  closed: boolean;
  /** Cuts its connection when it is let go of while taking nothing. */
  readonly onStuck?: () => void;
}

/** Bytes a subscriber catching up reads at a time. */
const CATCH_UP_BYTES = 64 * 1024;
const decoder = new TextDecoder();

/**
 * Opens `path`, the file of `s`'s cursor (checking, once, that a resumed cursor stands at a
 * line's start); the reason for an `event: gap` when it cannot.
 *
 * @example
 * ```ts
 * import { openAt, type Subscriber } from "./file_stream_subscriber.ts";
 * declare const s: Subscriber;
 * const file = await openAt(s, "/srv/qts/data/observer/observer.jsonl");
 * ```
 */
export async function openAt(
  s: Subscriber,
  path: string | undefined,
): Promise<Deno.FsFile | string> {
  const file = path === undefined
    ? undefined
    : await Deno.open(path, { read: true }).catch(() => undefined);
  if (file === undefined || fileKey(await file.stat()) !== s.cursor.key) {
    file?.close();
    return "the file of Last-Event-ID is gone";
  }
  if (s.unchecked) {
    s.unchecked = false;
    const before = await readRange(file, s.cursor.offset - 1, s.cursor.offset);
    if (before[0] !== 0x0a) {
      file.close();
      return "Last-Event-ID names no line end in its file";
    }
  }
  return file;
}

/**
 * Hands `send` the whole lines of `file` from `s`'s cursor that its filter takes (a read's
 * worth, before `size`), moving the cursor; the reason for an `event: gap` when a line never
 * ends.
 *
 * @example
 * ```ts
 * import { sendFrom, type Subscriber } from "./file_stream_subscriber.ts";
 * declare const s: Subscriber, file: Deno.FsFile;
 * await sendFrom(s, file, 1024, (text) => console.log(text));
 * ```
 */
export async function sendFrom(
  s: Subscriber,
  file: Deno.FsFile,
  size: number,
  send: (text: string) => void,
): Promise<string | undefined> {
  const from = s.cursor.offset;
  let bytes = await readRange(file, from, Math.min(size, from + CATCH_UP_BYTES));
  let end = bytes.lastIndexOf(0x0a) + 1;
  if (end === 0 && from + bytes.length < size) {
    // A line longer than one read: take it whole.
    bytes = await readRange(file, from, size);
    end = bytes.indexOf(0x0a) + 1;
  }
  if (end === 0) return "a line that never ended (a torn file)";
  let start = 0;
  while (start < end) {
    const lineEnd = bytes.indexOf(0x0a, start) + 1;
    const text = decoder.decode(bytes.subarray(start, lineEnd - 1));
    const record = parseLine(text);
    s.cursor.offset += lineEnd - start;
    if (record !== undefined && s.filter(record)) send(text);
    start = lineEnd;
  }
}

/**
 * Waits until `s`'s client wants more (its stream has room).
 *
 * @example
 * ```ts
 * import { demand, type Subscriber } from "./file_stream_subscriber.ts";
 * declare const s: Subscriber;
 * await demand(s);
 * ```
 */
export function demand(s: Subscriber): Promise<void> {
  if ((s.controller.desiredSize ?? 0) > 0) return Promise.resolve();
  return new Promise((resolve) => {
    s.wake = resolve;
  });
}
