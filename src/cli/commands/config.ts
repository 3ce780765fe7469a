/**
 * `observer.ts config check`: a configuration file validated, and printed with every default
 * filled in. The configuration's modules (its schema) are loaded only when `config check` runs.
 *
 * @module
 */

import { EXIT_OK } from "../exit_codes.ts";
import type { Command } from "../options.ts";
import { writeAllSync } from "../stdio.ts";
import { type CommandContext, errorMessage, fail } from "./context.ts";
import type { CommandHost } from "./program.ts";

/** Adds `config` and its `check` to `program`. */
export function registerConfig(program: Command, host: CommandHost): void {
  program.command("config")
    .description("Work with configuration files (see README, Configuration).")
    .exitOverride()
    .command("check")
    .description(
      "Validate a configuration file and print the effective configuration (every default " +
        "filled in) as JSON; every problem is named with its path.",
    )
    .argument("<file>", "configuration file (JSON with comments)")
    .addHelpText(
      "after",
      "\nExit codes: 0 valid, 2 not valid or unreadable.\n\nExample:\n" +
        "  deno task observer config check examples/config/fan_out.jsonc",
    )
    .exitOverride()
    .action(host.action((file: string) => runConfigCheck(file, host.context)));
}

/** Runs `config check` on `file` (as typed); returns 0, or 2 when it is not valid. */
export async function runConfigCheck(file: string, context: CommandContext): Promise<number> {
  const { loadConfig } = await import("../../config/load_config.ts");
  const { effectiveConfig } = await import("../../config/effective_config.ts");
  try {
    const config = await loadConfig(context.userPath(file));
    writeAllSync(context.stdout, JSON.stringify(effectiveConfig(config), null, 2) + "\n");
    return EXIT_OK;
  } catch (error) {
    return fail(context, errorMessage(error));
  }
}
