/**
 * Opening files under `data/observer` so that a write never leaves it: a record file, a lock
 * file or a crash fragment must be a regular file with one link. A symbolic link (even a
 * dangling one) or a hard link to a file elsewhere is refused before anything is written, and
 * the open handle is checked again afterwards to catch a swap in between.
 *
 * @module
 */

/** Thrown when a path under `data/observer` is not a file the recorder may write. */
export class UnsafeFileError extends Error {
  /** The refused path. */
  readonly path: string;

  /** `message` says why `path` was refused. */
  constructor(path: string, message: string) {
    super(message);
    this.name = "UnsafeFileError";
    this.path = path;
  }
}

const REFUSAL = "refusing to write through it (files in data/observer must be regular files " +
  "with one link)";

function problemOf(info: Deno.FileInfo): string | undefined {
  if (info.isSymlink) return "is a symbolic link";
  if (!info.isFile) return "is not a regular file";
  if (info.nlink !== null && info.nlink > 1) return `has ${info.nlink} hard links`;
  return undefined;
}

async function lstatOrUndefined(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/**
 * Refuses `path` when it exists and is not a regular file with one link.
 *
 * @example
 * ```ts
 * import { checkWritablePath } from "./safe_file.ts";
 * await checkWritablePath("/tmp/new-file.jsonl"); // absent: fine
 * ```
 */
export async function checkWritablePath(path: string): Promise<void> {
  const before = await lstatOrUndefined(path);
  const problem = before === undefined ? undefined : problemOf(before);
  if (problem !== undefined) throw new UnsafeFileError(path, `${path} ${problem}: ${REFUSAL}`);
}

/**
 * Checks an open handle: it must be a regular file with one link, and `path` must still name
 * it (not a link swapped in after the first check). Closes the handle and throws otherwise.
 */
async function verifyOpened(path: string, file: Deno.FsFile): Promise<void> {
  try {
    const opened = await file.stat();
    const now = await lstatOrUndefined(path);
    const problem = problemOf(opened) ??
      (now === undefined
        ? "disappeared while it was opened"
        : now.isSymlink || now.ino !== opened.ino || now.dev !== opened.dev
        ? "was replaced while it was opened"
        : undefined);
    if (problem !== undefined) throw new UnsafeFileError(path, `${path} ${problem}: ${REFUSAL}`);
  } catch (error) {
    file.close();
    throw error;
  }
}

/**
 * Opens (creating when absent) a file for reading and appending, after checking that it is a
 * regular file with one link; throws {@linkcode UnsafeFileError} otherwise.
 *
 * @example
 * ```ts
 * import { openForAppend } from "./safe_file.ts";
 * const path = await Deno.makeTempFile({ suffix: ".jsonl" });
 * using file = await openForAppend(path);
 * await file.write(new TextEncoder().encode("{}\n"));
 * ```
 */
export async function openForAppend(path: string): Promise<Deno.FsFile> {
  await checkWritablePath(path);
  const file = await Deno.open(path, { read: true, append: true, create: true });
  await verifyOpened(path, file);
  return file;
}

/**
 * Opens a file for reading and writing (creating it when absent) with the same checks as
 * {@linkcode openForAppend}; for lock files, whose content is rewritten.
 */
export async function openForUpdate(path: string): Promise<Deno.FsFile> {
  await checkWritablePath(path);
  const file = await Deno.open(path, { read: true, write: true, create: true });
  await verifyOpened(path, file);
  return file;
}

/**
 * Writes `bytes` to a new file: `path`, or `path-2`, `path-3`, ... when that name is taken
 * (a file, or a link: an exclusive create never follows one). Returns the path written.
 *
 * @example
 * ```ts
 * import { writeNewFile } from "./safe_file.ts";
 * const dir = await Deno.makeTempDir();
 * await writeNewFile(`${dir}/x.partial`, new Uint8Array([1])); // => ".../x.partial"
 * await writeNewFile(`${dir}/x.partial`, new Uint8Array([2])); // => ".../x.partial-2"
 * ```
 */
export async function writeNewFile(path: string, bytes: Uint8Array): Promise<string> {
  for (let n = 1;; n++) {
    const candidate = n === 1 ? path : `${path}-${n}`;
    let file: Deno.FsFile;
    try {
      file = await Deno.open(candidate, { write: true, createNew: true });
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists && n < 1000) continue;
      throw error;
    }
    try {
      let offset = 0;
      while (offset < bytes.length) offset += await file.write(bytes.subarray(offset));
      await file.syncData();
    } finally {
      file.close();
    }
    return candidate;
  }
}
