/**
 * main.ts — the QTS runtime with its internal Observer: a deterministic simulated market
 * session whose snapshots are recorded to data/observer.
 *
 * Run with `deno task run` (see README for flags and permissions). This script only parses
 * flags and hands over to `src/cli/commands/run.ts`, which returns the exit code.
 *
 * @module
 */

import { entryRoot, initCwd, processContext, userPathResolver } from "./src/cli/entry.ts";
import { exitCodeOfParseError } from "./src/cli/exit_codes.ts";
import { scriptArgs } from "./src/cli/options.ts";
import type { CommandContext } from "./src/cli/commands/context.ts";
import { runRuntime, type RuntimeFlags, runtimeProgram } from "./src/cli/commands/run.ts";

const context: CommandContext = {
  root: entryRoot(import.meta.dirname),
  // Paths the user typed are relative to where they ran `deno task`, not to the root.
  userPath: userPathResolver(initCwd()),
  ...processContext(),
};

const program = runtimeProgram();
let flags: RuntimeFlags;
try {
  flags = program.parse(scriptArgs(Deno.args), { from: "user" }).opts<RuntimeFlags>();
} catch (error) {
  Deno.exit(exitCodeOfParseError(error));
}
Deno.exit(await runRuntime(flags, program, context));
