/**
 * The record file as the live stream reads it: a file's key (inode and birth time), the event
 * ids that name a place in it, ranges read from an open handle, whole lines, and the rotated
 * files written between two.
 *
 * @module
 */

import { basename, dirname, join } from "node:path";
import type { PatternRecord } from "../contract/pattern_record.ts";

/** A place in a record file: the file's key and the byte offset after a line. */
export interface Cursor {
  /** The file (its inode and birth time, base 36). */
  key: string;
  /** Byte offset after the last line taken. */
  offset: number;
}

/** The file the tail reader follows, read up to `offset` (always the end of a whole line). */
export interface Tail {
  /** The file's key. */
  readonly key: string;
  /** Its path. */
  readonly path: string;
  /** Its open handle. */
  readonly file: Deno.FsFile;
  /** Bytes read so far (the end of a whole line). */
  offset: number;
}

/** A file's key: its inode and birth time (an inode alone is reused at once after a delete). */
export function fileKey(info: Deno.FileInfo): string {
  return `${(info.ino ?? 0).toString(36)}${(info.birthtime?.getTime() ?? 0).toString(36)}`;
}

/** The event id of a cursor. */
export function eventId(cursor: Cursor): string {
  return `${cursor.key}:${cursor.offset}`;
}

/** A cursor from a `Last-Event-ID`, or undefined when it is not one of ours. */
export function parseEventId(text: string | undefined): Cursor | undefined {
  const match = text === undefined ? null : /^([0-9a-z]{1,32}):(\d{1,16})$/.exec(text);
  return match === null ? undefined : { key: match[1], offset: Number(match[2]) };
}

/** Reads `[from, to)` of the open `file`. */
export async function readRange(file: Deno.FsFile, from: number, to: number): Promise<Uint8Array> {
  const out = new Uint8Array(to - from);
  await file.seek(from, Deno.SeekMode.Start);
  let filled = 0;
  while (filled < out.length) {
    const n = await file.read(out.subarray(filled));
    if (n === null) break;
    filled += n;
  }
  return out.subarray(0, filled);
}

/** A rotated file name's order: its stamp and sequence (`observer_20260126_0315_2.jsonl`). */
function rotationOrder(name: string): [string, number] | undefined {
  const match = /^(.*)_(\d{8}_\d{4})(?:_(\d+))?\.jsonl$/.exec(name);
  return match === null ? undefined : [`${match[1]}\u0000${match[2]}`, Number(match[3] ?? 0)];
}

/** The rotated files written after `from` and before `to` (both paths in one directory). */
export async function filesBetween(from: string, to: string): Promise<string[]> {
  const dir = dirname(to);
  const a = rotationOrder(basename(from));
  const b = rotationOrder(basename(to));
  if (a === undefined || b === undefined) return [];
  const after = (x: [string, number], y: [string, number]) =>
    x[0] > y[0] || (x[0] === y[0] && x[1] > y[1]);
  const found: [string, number, string][] = [];
  for await (const entry of Deno.readDir(dir)) {
    const order = entry.isFile ? rotationOrder(entry.name) : undefined;
    if (order !== undefined && order[0].split("\u0000")[0] === a[0].split("\u0000")[0]) {
      if (after(order, a) && after(b, order)) found.push([...order, join(dir, entry.name)]);
    }
  }
  return found.sort((x, y) => after([x[0], x[1]], [y[0], y[1]]) ? 1 : -1).map((f) => f[2]);
}

/** The offset after the last whole line of `tail.file` before `size` (at least `tail.offset`). */
export async function lastLineEnd(tail: Tail, size: number): Promise<number> {
  let to = size;
  // A record is a few KB: the last line end is nearly always in the last 4 KiB read. The window
  // grows for longer lines (this runs every look at a growing file: 64 KiB read each time was
  // 3 MB/s read and allocated on the service's main thread while it took records).
  for (let window = 4096; to > tail.offset; window = Math.min(window * 2, 64 * 1024)) {
    const from = Math.max(tail.offset, to - window);
    const bytes = await readRange(tail.file, from, to);
    const end = bytes.lastIndexOf(0x0a);
    if (end >= 0) return from + end + 1;
    to = from;
  }
  return tail.offset;
}

/** The record of a line of the file, or undefined for a line that is not one (never expected). */
export function parseLine(text: string): PatternRecord | undefined {
  try {
    return JSON.parse(text) as PatternRecord;
  } catch {
    return undefined;
  }
}
