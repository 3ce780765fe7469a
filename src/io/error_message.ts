/**
 * The text of anything thrown, the one way every layer turns a caught value into a message.
 *
 * @module
 */

/**
 * The message of anything thrown: an `Error`'s message, anything else as a string.
 *
 * @example
 * ```ts
 * import { errorMessage } from "./error_message.ts";
 * errorMessage(new Error("disk full")); // => "disk full"
 * errorMessage("plain"); // => "plain"
 * ```
 */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The first line of {@linkcode errorMessage} (a DuckDB error goes on for lines of context).
 *
 * @example
 * ```ts
 * import { firstErrorLine } from "./error_message.ts";
 * firstErrorLine(new Error("Parser Error: x\nLINE 1: ...")); // => "Parser Error: x"
 * ```
 */
export function firstErrorLine(error: unknown): string {
  return errorMessage(error).split("\n")[0];
}

/**
 * An `Error`'s stack (its message when it has none), anything else as a string: what a worker
 * sends its host about a failure the host will report.
 *
 * @example
 * ```ts
 * import { errorDetail } from "./error_message.ts";
 * errorDetail(42); // => "42"
 * ```
 */
export function errorDetail(error: unknown): string {
  return error instanceof Error ? error.stack ?? error.message : String(error);
}
