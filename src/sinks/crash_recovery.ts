/**
 * Crash recovery for append-only JSONL files: a file whose last byte is not a newline ends in
 * a fragment a killed writer left behind; it is moved aside so the file is valid JSONL again.
 *
 * @module
 */

import type { RecordFile } from "./record_file.ts";
import { writeNewFile } from "./safe_file.ts";

/** What {@linkcode repairTornTail} did. */
export interface TailRepair {
  /** Where the fragment was moved. */
  readonly fragmentPath: string;
  /** Its size in bytes. */
  readonly fragmentBytes: number;
}

const NEWLINE = 0x0a;
const TAIL_CHUNK = 64 * 1024;

/**
 * If the open file `file` (at `path`) does not end in `\n`, copies the bytes after its last
 * newline to a new file `<path>.partial-<stamp>` (`-2`, `-3`, ... appended when that name is
 * taken) and truncates the file to the last complete line. Returns what it moved, or `undefined`
 * when the file was empty or already clean. The caller must hold the record file's lock (see
 * `record_lock.ts`): a live writer's batch in flight looks exactly like a crash leftover.
 *
 * @example
 * ```ts
 * import { repairTornTail } from "./crash_recovery.ts";
 * const path = await Deno.makeTempFile({ suffix: ".jsonl" });
 * await Deno.writeTextFile(path, '{"a":1}\n{"tor');
 * using file = await Deno.open(path, { read: true, append: true });
 * await repairTornTail(file, path, "20260126T031820Z"); // moves '{"tor' aside
 * ```
 */
export async function repairTornTail(
  file: RecordFile,
  path: string,
  stamp: string,
): Promise<TailRepair | undefined> {
  const { size } = await file.stat();
  if (size === 0) return undefined;
  const cut = await findLineEnd(file, size);
  if (cut === size) return undefined;
  const fragment = new Uint8Array(size - cut);
  await file.seek(cut, Deno.SeekMode.Start);
  await readFully(file, fragment);
  const fragmentPath = await writeNewFile(`${path}.partial-${stamp}`, fragment);
  await file.truncate(cut);
  await file.syncData();
  return { fragmentPath, fragmentBytes: fragment.length };
}

/** The offset just past the last newline (0 when there is none). */
async function findLineEnd(file: RecordFile, size: number): Promise<number> {
  let end = size;
  const buffer = new Uint8Array(TAIL_CHUNK);
  while (end > 0) {
    const start = Math.max(0, end - TAIL_CHUNK);
    const chunk = buffer.subarray(0, end - start);
    await file.seek(start, Deno.SeekMode.Start);
    await readFully(file, chunk);
    const at = chunk.lastIndexOf(NEWLINE);
    if (at >= 0) return start + at + 1;
    end = start;
  }
  return 0;
}

async function readFully(file: RecordFile, into: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < into.length) {
    const n = await file.read(into.subarray(offset));
    if (n === null) {
      throw new Error(`unexpected end of file after ${offset} of ${into.length} bytes`);
    }
    offset += n;
  }
}
