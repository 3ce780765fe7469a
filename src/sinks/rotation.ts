/**
 * Rotation naming and retention for record files: `{base}_YYYYMMDD_HHMM.jsonl` (UTC), as the
 * Python QTS names its time windows; `{base}_YYYYMMDD_HHMM_N.jsonl` when a size limit rotates
 * twice within one minute.
 *
 * @module
 */

import { join } from "node:path";

/** When to start a new file. Both may be set; the first reached wins. */
export interface RotationPolicy {
  /** Start a new file at every window of this many minutes (aligned to the epoch, UTC). */
  readonly everyMinutes?: number;
  /** Start a new file before a write would take the current one past this many bytes. */
  readonly maxBytes?: number;
  /** Keep at most this many rotated files of this base (the active one included). */
  readonly keep?: number;
}

/**
 * The start of the window holding `ms`.
 *
 * @example
 * ```ts
 * windowStart(Date.UTC(2026, 0, 26, 3, 18, 20), 15); // => Date.UTC(2026, 0, 26, 3, 15)
 * ```
 */
export function windowStart(ms: number, everyMinutes: number): number {
  const width = everyMinutes * 60_000;
  return Math.floor(ms / width) * width;
}

/**
 * `YYYYMMDD_HHMM` in UTC.
 *
 * @example
 * ```ts
 * formatWindowStamp(Date.UTC(2026, 0, 26, 3, 15)); // => "20260126_0315"
 * ```
 */
export function formatWindowStamp(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2026-01-26T03:15:00.000Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}_${iso.slice(11, 13)}${
    iso.slice(14, 16)
  }`;
}

/**
 * The rotated file name for a base (file name without `.jsonl`), a stamp and a sequence number.
 *
 * @example
 * ```ts
 * rotatedFileName("observer", "20260126_0315", 0); // => "observer_20260126_0315.jsonl"
 * rotatedFileName("observer", "20260126_0315", 2); // => "observer_20260126_0315_2.jsonl"
 * ```
 */
export function rotatedFileName(base: string, stamp: string, sequence: number): string {
  return sequence === 0 ? `${base}_${stamp}.jsonl` : `${base}_${stamp}_${sequence}.jsonl`;
}

/** A rotated file found on disk. */
export interface RotatedFile {
  /** File name, e.g. `observer_20260126_0315_2.jsonl`. */
  readonly name: string;
  /** Window stamp `YYYYMMDD_HHMM` (UTC). */
  readonly stamp: string;
  /** 0 for the window's first file, then 1, 2, ... */
  readonly sequence: number;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * The rotated files of `base` in `dir`, oldest first.
 */
export async function listRotatedFiles(dir: string, base: string): Promise<RotatedFile[]> {
  const pattern = new RegExp(`^${escapeRegExp(base)}_(\\d{8}_\\d{4})(?:_(\\d+))?\\.jsonl$`);
  const found: RotatedFile[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile) continue;
    const match = pattern.exec(entry.name);
    if (match === null) continue;
    found.push({ name: entry.name, stamp: match[1], sequence: Number(match[2] ?? 0) });
  }
  return found.sort((a, b) =>
    a.stamp === b.stamp ? a.sequence - b.sequence : a.stamp < b.stamp ? -1 : 1
  );
}

/**
 * Deletes the oldest rotated files of `base` so that at most `keep` remain; never deletes
 * `activeName`, nor `retainFrom` and the files after it (a follower of the log has not finished
 * them). Returns the names deleted.
 */
export async function applyRetention(
  dir: string,
  base: string,
  keep: number,
  activeName: string,
  retainFrom?: string,
): Promise<string[]> {
  const files = await listRotatedFiles(dir, base);
  const excess = files.length - keep;
  const deleted: string[] = [];
  // A name that is not a rotated file (the plain `<base>.jsonl`, or "") comes before them all.
  const needed = retainFrom === undefined
    ? files.length
    : Math.max(0, files.findIndex((f) => f.name === retainFrom));
  for (const [i, file] of files.entries()) {
    if (deleted.length >= excess || i >= needed) break;
    if (file.name === activeName) continue;
    await Deno.remove(join(dir, file.name));
    deleted.push(file.name);
  }
  return deleted;
}

/**
 * The rotated file of `base` in `dir` for the window (or minute) starting at `stampMs`: the
 * newest existing one of that stamp, unless `forceNew` or it has reached `maxBytes`; else the
 * next free sequence number.
 */
export async function rotatedFileFor(
  dir: string,
  base: string,
  stampMs: number,
  forceNew: boolean,
  maxBytes: number | undefined,
): Promise<string> {
  const stamp = formatWindowStamp(stampMs);
  const existing = (await listRotatedFiles(dir, base)).filter((f) => f.stamp === stamp);
  if (existing.length === 0) return rotatedFileName(base, stamp, 0);
  const last = existing[existing.length - 1];
  if (!forceNew) {
    const size = (await Deno.stat(join(dir, last.name))).size;
    if (maxBytes === undefined || size < maxBytes) return last.name;
  }
  return rotatedFileName(base, stamp, last.sequence + 1);
}
