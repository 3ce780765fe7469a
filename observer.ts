/**
 * observer.ts — the Observer on its own: records snapshot lines (stdin or a file), replays
 * record files / snapshot files / market archives, inspects record files and writes an HTML
 * report. Run with `deno task observer` (see README for commands, flags and permissions).
 *
 * This script only parses flags and hands over: each command is a module of `src/cli/commands/`
 * whose action returns its exit code.
 *
 * @module
 */

import { Command } from "commander";
import { entryRoot, initCwd, processContext, userPathResolver } from "./src/cli/entry.ts";
import { scriptArgs, suggestCommandsBeforeDefault } from "./src/cli/options.ts";
import { synchronousCommanderOutput } from "./src/cli/stdio.ts";
import type { CommandContext } from "./src/cli/commands/context.ts";
import { runProgram } from "./src/cli/commands/program.ts";
import { registerRecord } from "./src/cli/commands/record.ts";
import { registerReplay } from "./src/cli/commands/replay.ts";
import { registerInspect } from "./src/cli/commands/inspect.ts";
import { registerReport } from "./src/cli/commands/report.ts";
import { registerServe } from "./src/cli/commands/serve.ts";
import { registerMerge } from "./src/cli/commands/merge.ts";
import { registerConsume } from "./src/cli/commands/consume.ts";
import { registerFollow } from "./src/cli/commands/follow.ts";
import { registerStream } from "./src/cli/commands/stream.ts";
import { registerConfig } from "./src/cli/commands/config.ts";
import { registerCatalog } from "./src/cli/commands/catalog.ts";
import { registerQuery } from "./src/cli/commands/query.ts";

const context: CommandContext = {
  root: entryRoot(import.meta.dirname),
  // Paths the user typed are relative to where they ran `deno task`, not to the root.
  userPath: userPathResolver(initCwd()),
  ...processContext(),
};

const program = new Command("observer.ts")
  .description("The QTS Observer on its own.")
  .addHelpText(
    "after",
    "\nWithout a command, observer.ts records (see `observer.ts record --help`).\n" +
      "Inputs outside the project need read access: see README, Permissions.",
  )
  .exitOverride()
  .configureOutput(synchronousCommanderOutput());
suggestCommandsBeforeDefault(program);

const commands = [
  registerRecord,
  registerReplay,
  registerInspect,
  registerReport,
  registerServe,
  registerMerge,
  registerConsume,
  registerFollow,
  registerStream,
  registerConfig,
  registerCatalog,
  registerQuery,
];
Deno.exit(await runProgram(program, commands, scriptArgs(Deno.args), context));
