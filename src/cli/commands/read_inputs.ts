/**
 * The input files of the commands that read them (`record --input`, `replay`, `inspect`,
 * `report`, `merge`; `-` is standard input for all but `record`): checked before anything is
 * opened for writing, with a progress bar.
 *
 * @module
 */

import type { RecordInput } from "../../records/record_reader.ts";
import { checkInputFiles, STDIN_ARGUMENT, stdinInput } from "../inputs.ts";
import { type Progress, startProgress } from "../progress.ts";
import { type CommandContext, errorMessage, fail } from "./context.ts";

/** A command's inputs, checked. */
export interface CommandInputs {
  /** The files (resolved) and standard input, in the order given. */
  readonly inputs: RecordInput[];
  /** Sum of the files' sizes, in bytes (for the progress bar). */
  readonly totalBytes: number;
}

/** Options of {@linkcode inputsOrFail}. */
export interface CommandInputOptions {
  /** Take `-` as standard input (at most once). Default false: `-` is a file name. */
  readonly stdin?: boolean;
}

/**
 * The user's input paths, resolved and checked (readable regular files; with `options.stdin`,
 * `-` is standard input), or the exit code 2 after reporting the first that is not. Nothing is
 * opened for writing before this.
 */
export async function inputsOrFail(
  context: CommandContext,
  files: readonly string[],
  options: CommandInputOptions = {},
): Promise<CommandInputs | number> {
  const stdin = options.stdin === true;
  try {
    const checked = await checkInputFiles(
      files.map((file) => stdin && file === STDIN_ARGUMENT ? file : context.userPath(file)),
      { stdin },
    );
    return {
      inputs: checked.paths.map((path) =>
        stdin && path === STDIN_ARGUMENT ? stdinInput(context.stdin) : path
      ),
      totalBytes: checked.totalBytes,
    };
  } catch (error) {
    return fail(context, errorMessage(error));
  }
}

/** A progress bar on stderr for reading `totalBytes` (shown only on a terminal). */
export function progressFor(context: CommandContext, label: string, totalBytes: number): Progress {
  return startProgress({ label, totalBytes, enabled: context.stderr.isTerminal() });
}
