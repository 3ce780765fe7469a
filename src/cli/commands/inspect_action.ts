/**
 * The action of `observer.ts inspect`: the summary of its record files, printed.
 *
 * @module
 */

import { inspectRecordFiles } from "../../records/inspect.ts";
import { formatInspectReport } from "../../records/inspect_table.ts";
import { EXIT_INCOMPLETE, EXIT_OK } from "../exit_codes.ts";
import { writeAllSync } from "../stdio.ts";
import { type CommandContext } from "./context.ts";
import type { InspectFlags } from "./command_flags.ts";
import { inputsOrFail, progressFor } from "./read_inputs.ts";

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
