/**
 * `observer.ts merge`: record files into one new record file under `data/observer`, ordered by
 * event time and `run_id`, duplicates by `run_id` dropped (see `records/merge.ts`). Its action
 * (`merge_action.ts`) is loaded only when `merge` runs.
 *
 * @module
 */

import { Option } from "commander";
import { LOG_LEVELS } from "../../log/logging.ts";
import { addInputOptions, type Command } from "../options.ts";
import type { CommandHost } from "./program.ts";
import type { MergeFlags } from "./command_flags.ts";

/** Adds `merge` to `program`. */
export function registerMerge(program: Command, host: CommandHost): void {
  addInputOptions(program.command("merge"))
    .description(
      "Combine record files (e.g. the <base>.<instance>.jsonl files of several consume " +
        "processes) into one new record file, ordered by event time then run_id, with " +
        "duplicates by run_id dropped; streams with memory bounded by the number of sorted " +
        "stretches in the inputs (at most 256).",
    )
    .argument("<files...>", "record files")
    .option("--file <name>", "output file name inside data/observer (a new one)", "merged.jsonl")
    .addOption(
      new Option("--log-level <level>", "lowest level logged to stderr")
        .choices([...LOG_LEVELS]).default("warning"),
    )
    .addHelpText(
      "after",
      "\nExit codes: 0 merged, 1 some input lines were not records, 2 the output exists, an " +
        "input is unreadable or too disordered.\n\nExample:\n" +
        "  deno task observer merge --file all.jsonl data/observer/consumed.a.jsonl data/observer/consumed.b.jsonl",
    )
    .exitOverride()
    .action(host.action(async (files: string[], flags: MergeFlags) => {
      const { runMerge } = await import("./merge_action.ts");
      return await runMerge(files, flags, host.context);
    }));
}
