/**
 * `observer.ts record` (the default command): snapshot lines from standard input or `--input`
 * into the sinks. Its action (`record_action.ts`) is loaded only when `record` runs.
 *
 * @module
 */

import { addInputOptions, type Command, workersOption } from "../options.ts";
import { SHUTDOWN_SIGNALS_HELP } from "../signals.ts";
import { addCommonOptions } from "../sink_options.ts";
import type { CommandHost } from "./program.ts";
import type { RecordFlags } from "./command_flags.ts";

/** Adds `record`, the default command, to `program`. */
export function registerRecord(program: Command, host: CommandHost): void {
  addInputOptions(addCommonOptions(
    program.command("record", { isDefault: true })
      .description(
        "Record snapshot JSON lines (one ObservationSnapshot per line, Python's NaN/Infinity " +
          "tokens accepted) from stdin or --input into data/observer/<file>. Lines that are not " +
          "snapshots are reported on stderr with their line number and skipped.",
      )
      .option("--input <path>", "read snapshot lines from this file instead of stdin")
      .addOption(workersOption(navigator.hardwareConcurrency)),
  ))
    .addHelpText(
      "after",
      "\nExit codes: 0 every line recorded, 1 some lines rejected/blocked/dropped/not written, " +
        `2 bad flags or unreadable input.\n\n${SHUTDOWN_SIGNALS_HELP}\n\nExample:\n` +
        "  python3 examples/producer.py | deno task observer",
    )
    .exitOverride()
    .action(host.action(async (flags: RecordFlags, command: Command) => {
      const { runRecord } = await import("./record_action.ts");
      return await runRecord(flags, command, host.context);
    }));
}
