/**
 * `observer.ts inspect`: a summary of record files (and dead-letter files), as a table or JSON.
 * Its action (`inspect_action.ts`) is loaded only when `inspect` runs.
 *
 * @module
 */

import { addInputOptions, type Command } from "../options.ts";
import type { CommandHost } from "./program.ts";
import type { InspectFlags } from "./command_flags.ts";

/** Adds `inspect` to `program`. */
export function registerInspect(program: Command, host: CommandHost): void {
  addInputOptions(program.command("inspect"))
    .description(
      "Summarize record files: records per symbol, source and stage, first and last event time, " +
        "guard actions and quality flags, schema versions, bad lines. A dead-letter file " +
        "(*.rejected.jsonl) is read as one: its entries counted by kind, reason and input.",
    )
    .argument("<files...>", "record files (dead-letter files too)")
    .option("--json", "print the summary as JSON for scripts")
    .addHelpText(
      "after",
      "\nExit codes: 0 no bad lines, 1 some bad lines or a torn last line, 2 unreadable input." +
        "\n\nExample:\n  deno task observer inspect data/observer/observer.jsonl",
    )
    .exitOverride()
    .action(host.action(async (files: string[], flags: InspectFlags) => {
      const { runInspect } = await import("./inspect_action.ts");
      return await runInspect(files, flags, host.context);
    }));
}
