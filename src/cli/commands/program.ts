/**
 * How an entry script runs its commands: each command module registers its commands on the
 * program, each action resolves to its exit code, and {@linkcode runProgram} returns the code of
 * the action that ran (or of the failed parse) for the entry script to exit with.
 *
 * @module
 */

import { EXIT_OK, exitCodeOfParseError } from "../exit_codes.ts";
import type { Command } from "../options.ts";
import type { CommandContext } from "./context.ts";

/** What a command module registers its commands with. */
export interface CommandHost {
  /** What the entry script hands to the commands. */
  readonly context: CommandContext;
  /**
   * Makes a commander action of `run`: the exit code it resolves to becomes the program's.
   *
   * @example
   * ```ts
   * import type { CommandHost } from "./program.ts";
   * import type { Command } from "../options.ts";
   * declare const host: CommandHost;
   * declare const program: Command;
   * program.command("hello").action(host.action(() => Promise.resolve(0)));
   * ```
   */
  action<A extends unknown[]>(run: (...args: A) => Promise<number>): (...args: A) => Promise<void>;
}

/** A command module's registration: adds its command(s) to `parent`. */
export type RegisterCommand = (parent: Command, host: CommandHost) => void;

/**
 * Registers `commands` on `program`, parses `args` (the script's own) and runs the chosen
 * action; returns its exit code, or the parse error's (0 after `--help`, 2 for bad flags).
 *
 * @example
 * ```ts
 * import { Command } from "commander";
 * import { type CommandHost, runProgram } from "./program.ts";
 * import type { CommandContext } from "./context.ts";
 * declare const context: CommandContext;
 * const program = new Command("x").exitOverride();
 * const hello = (parent: Command, host: CommandHost) => {
 *   parent.command("hello").action(host.action(() => Promise.resolve(0)));
 * };
 * await runProgram(program, [hello], ["hello"], context); // => 0
 * ```
 */
export async function runProgram(
  program: Command,
  commands: readonly RegisterCommand[],
  args: readonly string[],
  context: CommandContext,
): Promise<number> {
  let exitCode = EXIT_OK;
  const host: CommandHost = {
    context,
    action: (run) => async (...args) => {
      exitCode = await run(...args);
    },
  };
  for (const register of commands) register(program, host);
  try {
    await program.parseAsync([...args], { from: "user" });
  } catch (error) {
    return exitCodeOfParseError(error);
  }
  return exitCode;
}
