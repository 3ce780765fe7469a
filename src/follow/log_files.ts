/**
 * The files of one recording's log, oldest first: the plain `<base>.jsonl` (a log recorded
 * without rotation), then the rotated `<base>_YYYYMMDD_HHMM[_N].jsonl` files in the order they
 * were written. Followers read a log in this order.
 *
 * @module
 */

import { join } from "node:path";
import { listRotatedFiles } from "../sinks/rotation.ts";

/** Where a log lives: its directory and its base (the record file name without `.jsonl`). */
export interface LogLocation {
  /** The directory of the log's files (`data/observer`). */
  readonly dir: string;
  /** The base name, e.g. `observer` for `observer.jsonl` and `observer_20260126_0315.jsonl`. */
  readonly base: string;
}

/**
 * The names of the log's files, oldest first.
 *
 * @example
 * ```ts
 * import { listLogFiles } from "./log_files.ts";
 * const dir = await Deno.makeTempDir();
 * await listLogFiles({ dir, base: "observer" }); // => []
 * ```
 */
export async function listLogFiles(log: LogLocation): Promise<string[]> {
  const rotated = (await listRotatedFiles(log.dir, log.base)).map((f) => f.name);
  const plain = `${log.base}.jsonl`;
  try {
    const info = await Deno.lstat(join(log.dir, plain));
    if (info.isFile) return [plain, ...rotated];
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return rotated;
}

/**
 * Compares two file names of one log by the order they were written (negative when `a` came
 * first). The plain file comes before every rotated one.
 *
 * @example
 * ```ts
 * import { compareLogFiles } from "./log_files.ts";
 * compareLogFiles("o", "o_20260126_0315_2.jsonl", "o_20260126_0316.jsonl") < 0; // => true
 * ```
 */
export function compareLogFiles(base: string, a: string, b: string): number {
  const key = (name: string): [string, number] => {
    const match = /_(\d{8}_\d{4})(?:_(\d+))?\.jsonl$/.exec(name.slice(base.length));
    return match === null ? ["", -1] : [match[1], Number(match[2] ?? 0)];
  };
  const [stampA, seqA] = key(a);
  const [stampB, seqB] = key(b);
  return stampA === stampB ? seqA - seqB : stampA < stampB ? -1 : 1;
}
