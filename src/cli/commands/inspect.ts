/**
 * `observer.ts inspect`: a summary of record files (and dead-letter files), as a table or JSON.
 *
 * @module
 */

import { inspectRecordFiles } from "../../records/inspect.ts";
import { formatInspectReport } from "../../records/inspect_table.ts";
import { EXIT_INCOMPLETE, EXIT_OK } from "../exit_codes.ts";
import { addInputOptions, type Command, type InputFlags } from "../options.ts";
import { writeAllSync } from "../stdio.ts";
import { type CommandContext } from "./context.ts";
import { inputsOrFail, progressFor } from "./read_inputs.ts";
import type { CommandHost } from "./program.ts";

/** The flags of `inspect`. */
export interface InspectFlags extends InputFlags {
  /** `--json`: print the summary as JSON. */
  json?: boolean;
}

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
    .action(
      host.action((files: string[], flags: InspectFlags) => runInspect(files, flags, host.context)),
    );
}

/** Runs `inspect`: prints the summary; returns 1 when there were bad lines or a torn tail. */
export async function runInspect(
  files: readonly string[],
  flags: InspectFlags,
  context: CommandContext,
): Promise<number> {
  const inputs = await inputsOrFail(context, files, { stdin: true });
  if (typeof inputs === "number") return inputs;
  const progress = progressFor(context, "inspect", inputs.totalBytes);
  const report = await inspectRecordFiles(inputs.inputs, {
    onBytes: (n) => progress.add(n),
    maxLineBytes: flags.maxLineBytes,
  });
  progress.stop();
  writeAllSync(
    context.stdout,
    (flags.json ? JSON.stringify(report, null, 2) : formatInspectReport(report)) + "\n",
  );
  const torn = report.files.some((f) => f.tornTail !== undefined);
  return report.badLines > 0 || torn ? EXIT_INCOMPLETE : EXIT_OK;
}
