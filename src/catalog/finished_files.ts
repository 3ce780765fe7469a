/**
 * Which record files are finished, so a catalog may take them: a rotated file that is not the
 * newest of its base, or any file of a base no writer holds (the writer's `flock` on
 * `<base>.lock`, see `sinks/record_lock.ts`). Also where a finished file's last whole line ends:
 * nothing after it is ever read.
 *
 * @module
 */

import { basename, dirname, join } from "node:path";
import { listLogFiles } from "../follow/log_files.ts";
import { lockFilePath } from "../sinks/record_lock.ts";
import { DEAD_LETTER_SUFFIX } from "../paths.ts";

const ROTATED = /^(.*)_\d{8}_\d{4}(?:_\d+)?\.jsonl$/;

/**
 * The record base of a record file name: the name without `.jsonl` and, for a rotated file,
 * without its `_YYYYMMDD_HHMM[_N]` stamp.
 *
 * @example
 * ```ts
 * import { recordBase } from "./finished_files.ts";
 * recordBase("observer_20260126_0315_2.jsonl"); // => "observer"
 * recordBase("consumed.a.jsonl"); // => "consumed.a"
 * ```
 */
export function recordBase(fileName: string): string {
  const rotated = ROTATED.exec(fileName);
  return rotated !== null ? rotated[1] : fileName.slice(0, -".jsonl".length);
}

/**
 * True while a writer holds `<dir>/<base>.lock`. The lock is probed with a shared `flock` taken
 * and released at once (a writer starting in that instant is told the file is busy and may
 * retry); a missing lock file means no writer.
 *
 * @example
 * ```ts
 * import { isBaseLocked } from "./finished_files.ts";
 * const dir = await Deno.makeTempDir();
 * await isBaseLocked(dir, "observer"); // => false
 * ```
 */
export async function isBaseLocked(dir: string, base: string): Promise<boolean> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(lockFilePath(dir, base), { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
  try {
    return !(await file.tryLock(false));
  } finally {
    file.close(); // releases the probe's lock
  }
}

/** One input file and whether the catalog may take it. */
export interface CandidateFile {
  /** Absolute path. */
  readonly path: string;
  /** Undefined for a finished file; else why it is left out. */
  readonly skipped?: string;
}

/**
 * Expands the inputs (record files, or directories whose `*.jsonl` files are taken, dead-letter
 * files and `excludeDir` left out) and tells, for each file, whether it is finished. Files come
 * in the order given; a directory's files in the order they were written (plain file first,
 * then rotated files by stamp), bases by name.
 *
 * @example
 * ```ts
 * import { finishedCandidates } from "./finished_files.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a.jsonl`, "");
 * (await finishedCandidates([dir])).map((c) => c.skipped); // => [undefined]
 * ```
 */
export async function finishedCandidates(
  inputs: readonly string[],
  excludeDir?: string,
): Promise<CandidateFile[]> {
  const files: string[] = [];
  for (const input of inputs) {
    const info = await Deno.stat(input);
    if (!info.isDirectory) {
      files.push(input);
      continue;
    }
    const bases = new Set<string>();
    for await (const entry of Deno.readDir(input)) {
      if (!entry.isFile || !entry.name.endsWith(".jsonl")) continue;
      if (entry.name.endsWith(DEAD_LETTER_SUFFIX)) continue;
      if (excludeDir !== undefined && join(input, entry.name).startsWith(excludeDir)) continue;
      bases.add(recordBase(entry.name));
    }
    for (const base of [...bases].sort()) {
      for (const name of await listLogFiles({ dir: input, base })) files.push(join(input, name));
    }
  }
  const seen = new Set<string>();
  const out: CandidateFile[] = [];
  for (const path of files) {
    if (seen.has(path)) continue;
    seen.add(path);
    out.push({ path, skipped: await unfinishedReason(path) });
  }
  return out;
}

/** Why `path` is not finished, or undefined when it is. */
async function unfinishedReason(path: string): Promise<string | undefined> {
  const info = await Deno.lstat(path);
  if (!info.isFile) return "not a regular file";
  const dir = dirname(path);
  const name = basename(path);
  const base = recordBase(name);
  if (!(await isBaseLocked(dir, base))) return undefined;
  if (!ROTATED.test(name)) return `a writer holds ${base}.lock: the file is still being written`;
  const files = await listLogFiles({ dir, base });
  return files[files.length - 1] === name
    ? `a writer holds ${base}.lock and this is its newest file: still being written`
    : undefined;
}

/**
 * The number of bytes of `file` up to and including its last line end (`\n`), looking back
 * from `size`: what a reader of a finished file may read. 0 when there is no line end.
 *
 * @example
 * ```ts
 * import { completeLength } from "./finished_files.ts";
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, '{"a":1}\n{"b"');
 * using file = await Deno.open(path);
 * await completeLength(file, 13); // => 8
 * ```
 */
export async function completeLength(file: Deno.FsFile, size: number): Promise<number> {
  const block = new Uint8Array(64 * 1024);
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - block.length);
    await file.seek(start, Deno.SeekMode.Start);
    let filled = 0;
    while (filled < end - start) {
      const n = await file.read(block.subarray(filled, end - start));
      if (n === null) break;
      filled += n;
    }
    const at = block.subarray(0, filled).lastIndexOf(0x0a);
    if (at >= 0) return start + at + 1;
    end = start;
  }
  return 0;
}
