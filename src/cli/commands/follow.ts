/**
 * `observer.ts follow --config <file>`: ships what the followers of a configuration (its network
 * sinks) have not yet delivered from the record log, and exits once they are caught up; with
 * `--watch` it keeps following a live log, like `tail -F` with checkpoints, until a signal. Its
 * action (`follow_action.ts`) is loaded only when `follow` runs.
 *
 * @module
 */

import { Option } from "commander";
import { DEFAULT_FOLLOW_TIMEOUT_SECONDS } from "../../app/follower_defaults.ts";
import { LOG_LEVELS } from "../../log/logging.ts";
import { parseNonNegativeInt } from "../flag_parsers.ts";
import type { Command } from "../options.ts";
import type { CommandHost } from "./program.ts";
import type { FollowFlags } from "./command_flags.ts";

/** Adds `follow` to `program`. */
export function registerFollow(program: Command, host: CommandHost): void {
  program.command("follow")
    .description(
      "Deliver what the network sinks of a configuration (postgres) have not yet delivered " +
        "from its record log, each from its checkpoint in data/observer, and exit once caught " +
        "up; --watch keeps following a live log until Ctrl+C or SIGTERM.",
    )
    .requiredOption("--config <file>", "configuration file with the sinks to follow")
    .option("--watch", "keep following the log as it grows (like tail -F, with checkpoints)")
    .option(
      "--instance <name>",
      "the consume instance whose log to follow (its files are <base>.<instance>.jsonl)",
    )
    .option(
      "--follow-timeout <seconds>",
      "without --watch: give up (exit 1) after this long if not caught up",
      parseNonNegativeInt,
      DEFAULT_FOLLOW_TIMEOUT_SECONDS,
    )
    .addOption(
      new Option("--log-level <level>", "lowest level logged to stderr")
        .choices([...LOG_LEVELS]).default("info"),
    )
    .addHelpText(
      "after",
      "\nExit codes: 0 every follower caught up, 1 some stopped behind (run again: each " +
        "resumes at its checkpoint), 2 bad file, nothing to follow, or a follower running " +
        "elsewhere.\n\nExample:\n  deno task observer follow --config examples/config/postgres.jsonc",
    )
    .exitOverride()
    .action(host.action(async (flags: FollowFlags) => {
      const { runFollow } = await import("./follow_action.ts");
      return await runFollow(flags, host.context);
    }));
}
