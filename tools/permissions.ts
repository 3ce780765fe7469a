/**
 * `deno task permissions`: prints the exact `deno run` line of a task with its permission fence
 * widened by what one run needs and nothing else: the servers a configuration names, the
 * configuration file itself, input paths outside the project (`--read`) and a listening address
 * (`--listen`). Nothing tracked is edited; the line is for `eval` or a script of the user's.
 *
 * Usage: deno task -q permissions [--config FILE] [--read PATH]... [--listen HOST:PORT] <task>
 *
 * @module
 */

import { Command } from "commander";
import { dirname } from "node:path";
import { denoRunLine, type ExtraGrants, RUNNABLE_TASKS } from "./run_line.ts";
import { configReach } from "../src/config/config_reach.ts";
import { loadConfig } from "../src/config/load_config.ts";
import { entryRoot, initCwd, userPathResolver } from "../src/cli/entry.ts";

const root = dirname(entryRoot(import.meta.dirname));
const userPath = userPathResolver(initCwd());

interface Flags {
  config?: string;
  read: string[];
  listen?: string;
}

const program = new Command("permissions")
  .description(
    "Print the `deno run` line of a task with the permissions one run needs added: the servers " +
      "and files of --config (TLS, password, token, seed and .creds files), the config file, " +
      "--read paths and a --listen address. Nothing is edited; no secret is read.",
  )
  .argument("<task>", `the task whose line to print: ${RUNNABLE_TASKS.join(", ")}`)
  .option("--config <file>", "a configuration: its file is readable and its servers reachable")
  .option(
    "--read <path>",
    "one more file or directory the run may read (repeatable)",
    (value: string, previous: string[]) => [...previous, value],
    [] as string[],
  )
  .option("--listen <host:port>", "an address `serve --listen` may bind")
  .addHelpText(
    "after",
    "\nExample:\n" +
      '  eval "$(deno task -q permissions --read ~/archive observer) inspect ~/archive/x.jsonl"',
  )
  .exitOverride()
  .action(async (task: string, flags: Flags) => {
    const grants: ExtraGrants = { read: flags.read.map(userPath), net: [] };
    if (flags.config !== undefined) {
      const path = userPath(flags.config);
      const reach = configReach(await loadConfig(path), (name) => Deno.env.get(name));
      grants.read.push(path, ...reach.files);
      grants.net.push(...reach.net);
    }
    if (flags.listen !== undefined) grants.net.push(flags.listen);
    const configText = await Deno.readTextFile(`${root}/deno.json`);
    console.log(denoRunLine(configText, task, root, grants));
  });

try {
  await program.parseAsync(Deno.args, { from: "user" });
} catch (error) {
  const code = (error as { exitCode?: number }).exitCode;
  if (code === 0) Deno.exit(0);
  if (code === undefined) console.error(`error: ${(error as Error).message}`);
  Deno.exit(2);
}
