/**
 * One writer per record file: an exclusive lock on `data/observer/<base>.lock`, held for as long
 * as a process writes `<base>.jsonl`, its rotated files and its dead-letter file. The lock file
 * holds the owner's pid so that a second writer can say who has it.
 *
 * @module
 */

import { join } from "node:path";
import { openForUpdate } from "./safe_file.ts";

/** Thrown when another process (or another sink of this one) writes the same record base. */
export class RecordFileBusyError extends Error {
  /** The record file that is taken. */
  readonly path: string;
  /** The pid written by the lock's owner, when it could be read. */
  readonly ownerPid: number | undefined;

  /** Says that `path` is being written by `ownerPid`. */
  constructor(path: string, ownerPid: number | undefined) {
    super(
      `${path} is being written by another process` +
        (ownerPid === undefined ? "" : ` (pid ${ownerPid})`) +
        ": one writer per record file; choose another --file or stop the other writer",
    );
    this.name = "RecordFileBusyError";
    this.path = path;
    this.ownerPid = ownerPid;
  }
}

/** A held lock; {@linkcode RecordLock.release} (or disposal) lets the next writer in. */
export interface RecordLock extends Disposable {
  /** The lock file. */
  readonly path: string;
  /** Releases the lock (idempotent). The lock file itself stays. */
  release(): void;
}

/** The lock file of a record base (a record file name without `.jsonl`). */
export function lockFilePath(dir: string, base: string): string {
  return join(dir, `${base}.lock`);
}

/**
 * Takes the exclusive lock of `<dir>/<base>.lock` without waiting; throws
 * {@linkcode RecordFileBusyError} naming `displayPath` (and the owner's pid) when it is held.
 *
 * @example
 * ```ts
 * import { acquireRecordLock } from "./record_lock.ts";
 * const dir = await Deno.makeTempDir();
 * using _lock = await acquireRecordLock(dir, "observer", `${dir}/observer.jsonl`);
 * ```
 */
export async function acquireRecordLock(
  dir: string,
  base: string,
  displayPath: string,
): Promise<RecordLock> {
  const path = lockFilePath(dir, base);
  const file = await openForUpdate(path);
  let locked = false;
  try {
    locked = await file.tryLock(true);
    if (!locked) throw new RecordFileBusyError(displayPath, await readPid(file));
    await file.truncate(0);
    await file.seek(0, Deno.SeekMode.Start);
    await file.write(new TextEncoder().encode(`${Deno.pid}\n`));
  } catch (error) {
    file.close();
    throw error;
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    file.close(); // closing the handle releases the lock
  };
  return { path, release, [Symbol.dispose]: release };
}

async function readPid(file: Deno.FsFile): Promise<number | undefined> {
  try {
    const buffer = new Uint8Array(32);
    await file.seek(0, Deno.SeekMode.Start);
    const n = await file.read(buffer);
    const text = new TextDecoder().decode(buffer.subarray(0, n ?? 0)).trim();
    return /^\d+$/.test(text) ? Number(text) : undefined;
  } catch {
    return undefined;
  }
}
