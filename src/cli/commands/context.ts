/**
 * What every command gets from its entry script (the root, the user's paths, the environment,
 * the standard streams, the exit for a second signal), and failing with exit code 2.
 *
 * @module
 */

import { EXIT_USAGE } from "../exit_codes.ts";
import type { EnvReader } from "../run_config.ts";
import { writeAllSync } from "../stdio.ts";

/** A standard output stream (`Deno.stdout`, `Deno.stderr`). */
export interface OutputStream {
  /** Writes some of `bytes`, returning how many. */
  writeSync(bytes: Uint8Array): number;
  /** True when the stream is a terminal. */
  isTerminal(): boolean;
}

/** Standard input (`Deno.stdin`). */
export interface InputStream {
  /** The bytes read from it. */
  readonly readable: ReadableStream<Uint8Array>;
  /** True when the stream is a terminal. */
  isTerminal(): boolean;
}

/** What the entry script hands to its commands; commands read nothing of the process itself. */
export interface CommandContext {
  /** Project root; records go to `<root>/data/observer`. */
  readonly root: string;
  /** Resolves a path the user typed (relative to where they ran `deno task`). */
  readonly userPath: (path: string) => string;
  /** Reads an environment variable. */
  readonly env: EnvReader;
  /** Standard input. */
  readonly stdin: InputStream;
  /** Standard output: results and summary lines. */
  readonly stdout: OutputStream;
  /** Standard error: errors, warnings, progress. */
  readonly stderr: OutputStream;
  /** Exits the process at once (a second shutdown signal). */
  readonly forceExit: (code: number) => void;
}

export { errorMessage } from "../../io/error_message.ts";

/**
 * Prints `error: <message>` on stderr and returns {@linkcode EXIT_USAGE}.
 *
 * @example
 * ```ts
 * import { fail } from "./context.ts";
 * import type { CommandContext } from "./context.ts";
 * declare const context: CommandContext;
 * fail(context, "--file: expected a name ending in .jsonl"); // => 2
 * ```
 */
export function fail(context: CommandContext, message: string): number {
  writeAllSync(context.stderr, `error: ${message}\n`);
  return EXIT_USAGE;
}
