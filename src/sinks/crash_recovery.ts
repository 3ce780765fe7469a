/**
 * Crash recovery for append-only JSONL files: a file whose last byte is not a newline ends in
 * a fragment a killed writer left behind; it is moved aside so the file is valid JSONL again.
 *
 * @module
 */

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
 * If `path` exists and does not end in `\n`, copies the bytes after its last newline to
 * `<path>.partial-<stamp>` and truncates the file to the last complete line. Returns what it
 * moved, or `undefined` when the file was absent, empty or already clean.
 *
 * @example
 * ```ts
 * const repair = await repairTornTail("/srv/qts/data/observer/observer.jsonl", "20260126T031820Z");
 * ```
 */
export async function repairTornTail(
  path: string,
  stamp: string,
): Promise<TailRepair | undefined> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true, write: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  try {
    const { size, isFile } = await file.stat();
    if (!isFile || size === 0) return undefined;
    const cut = await findLineEnd(file, size);
    if (cut === size) return undefined;
    const fragment = new Uint8Array(size - cut);
    await file.seek(cut, Deno.SeekMode.Start);
    await readFully(file, fragment);
    const fragmentPath = `${path}.partial-${stamp}`;
    await Deno.writeFile(fragmentPath, fragment, { createNew: true });
    await file.truncate(cut);
    await file.syncData();
    return { fragmentPath, fragmentBytes: fragment.length };
  } finally {
    file.close();
  }
}

/** The offset just past the last newline (0 when there is none). */
async function findLineEnd(file: Deno.FsFile, size: number): Promise<number> {
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

async function readFully(file: Deno.FsFile, into: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < into.length) {
    const n = await file.read(into.subarray(offset));
    if (n === null) {
      throw new Error(`unexpected end of file after ${offset} of ${into.length} bytes`);
    }
    offset += n;
  }
}
