/**
 * The exit codes both entry scripts share (README, Exit codes), and the one for a failed parse.
 *
 * @module
 */

import { CommanderError } from "commander";

/** Exit code: the run finished and every input became a written record. */
export const EXIT_OK = 0;
/** Exit code: the run finished, but some input was rejected, blocked, dropped or not written. */
export const EXIT_INCOMPLETE = 1;
/** Exit code: bad flags or the pipeline could not start (bad --file, unreadable input, ...). */
export const EXIT_USAGE = 2;

/**
 * The exit code for an error thrown by commander's `parse()` (with `exitOverride()`): 0 after
 * `--help`, {@linkcode EXIT_USAGE} for bad flags (commander already printed why). Anything else
 * is printed to stderr first.
 */
export function exitCodeOfParseError(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  console.error(`error: ${error instanceof Error ? error.message : error}`);
  return EXIT_USAGE;
}
