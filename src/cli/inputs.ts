/**
 * The one way the entry scripts take input files: every path the user typed is resolved and
 * checked (a readable regular file) before anything is opened for writing, with one message and
 * one exit code for every command.
 *
 * @module
 */

import { printable } from "../io/printable.ts";
import type { NamedInput } from "../records/record_reader.ts";

/** The argument that names standard input among input files (`inspect -`). */
export const STDIN_ARGUMENT = "-";

/** Input files that were checked, with their total size (for progress bars). */
export interface CheckedInputs {
  /** The paths, in the order given ({@linkcode STDIN_ARGUMENT} among them when allowed). */
  readonly paths: string[];
  /** Sum of the files' sizes, in bytes (standard input not counted: its size is unknown). */
  readonly totalBytes: number;
}

/** Options of {@linkcode checkInputFiles}. */
export interface CheckInputOptions {
  /**
   * Take {@linkcode STDIN_ARGUMENT} as standard input (at most once) rather than a file name.
   * Default false.
   */
  readonly stdin?: boolean;
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
 * `cannot read <path>: <cause>`, with a hint when read permission is missing. With
 * `options.stdin`, `-` is standard input, given at most once.
 *
 * @example
 * ```ts
 * import { checkInputFiles } from "./inputs.ts";
 * const path = await Deno.makeTempFile();
 * await checkInputFiles([path]); // => { paths: [path], totalBytes: 0 }
 * ```
 */
export async function checkInputFiles(
  paths: readonly string[],
  options: CheckInputOptions = {},
): Promise<CheckedInputs> {
  let totalBytes = 0;
  let stdin = false;
  for (const path of paths) {
    if (options.stdin === true && path === STDIN_ARGUMENT) {
      if (stdin) {
        throw new InputFileError(
          `${STDIN_ARGUMENT} given twice: standard input can be read once; expected it at most once`,
        );
      }
      stdin = true;
      continue;
    }
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

/**
 * Standard input as a {@linkcode NamedInput} called `stdin`, from the entry script's `stdin`;
 * it can be opened once (a second `open` throws).
 *
 * @example
 * ```ts
 * import { stdinInput } from "./inputs.ts";
 * const input = stdinInput(Deno.stdin);
 * using opened = await input.open();
 * ```
 */
export function stdinInput(stdin: { readonly readable: ReadableStream<Uint8Array> }): NamedInput {
  let opened = false;
  return {
    name: "stdin",
    open: () => {
      if (opened) return Promise.reject(new Error("standard input can be read only once"));
      opened = true;
      return Promise.resolve({ readable: stdin.readable, [Symbol.dispose]() {} });
    },
  };
}
