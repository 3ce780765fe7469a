/**
 * The one way the entry scripts take input files: every path the user typed is resolved and
 * checked (a readable regular file) before anything is opened for writing, with one message and
 * one exit code for every command.
 *
 * @module
 */

import { printable } from "../io/printable.ts";

/** Input files that were checked, with their total size (for progress bars). */
export interface CheckedInputs {
  /** The paths, in the order given. */
  readonly paths: string[];
  /** Sum of the files' sizes, in bytes. */
  readonly totalBytes: number;
}

/** Thrown when an input cannot be read; the message says which and why. */
export class InputFileError extends Error {
  /** `message` names the path and the cause. */
  constructor(message: string) {
    super(message);
    this.name = "InputFileError";
  }
}

/**
 * Checks that every path is a regular file this process may read (opening it once), and returns
 * them with their total size. Throws {@linkcode InputFileError} for the first one that is not:
 * `cannot read <path>: <cause>`, with a hint when read permission is missing.
 *
 * @example
 * ```ts
 * import { checkInputFiles } from "./inputs.ts";
 * const path = await Deno.makeTempFile();
 * await checkInputFiles([path]); // => { paths: [path], totalBytes: 0 }
 * ```
 */
export async function checkInputFiles(paths: readonly string[]): Promise<CheckedInputs> {
  let totalBytes = 0;
  for (const path of paths) {
    const shown = printable(path);
    try {
      using file = await Deno.open(path, { read: true });
      const info = await file.stat();
      if (!info.isFile) throw new InputFileError(`cannot read ${shown}: expected a file`);
      totalBytes += info.size;
    } catch (error) {
      if (error instanceof InputFileError) throw error;
      const cause = error instanceof Deno.errors.NotFound
        ? "no such file"
        : error instanceof Error
        ? error.message
        : String(error);
      const hint = error instanceof Deno.errors.NotCapable
        ? " (grant read access with --allow-read=<path>, see README, Permissions)"
        : "";
      throw new InputFileError(`cannot read ${shown}: ${printable(cause)}${hint}`);
    }
  }
  return { paths: [...paths], totalBytes };
}
