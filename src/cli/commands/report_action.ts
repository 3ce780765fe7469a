/**
 * The action of `observer.ts report`: the HTML report of its inputs, written under
 * `data/observer`.
 *
 * @module
 */

import { resolve } from "node:path";
import { outputFilePath } from "../../paths.ts";
import { collectReportData } from "../../report/report_data.ts";
import { renderReportHtml } from "../../report/report_html.ts";
import { EXIT_OK } from "../exit_codes.ts";
import { writeAllSync } from "../stdio.ts";
import { type CommandContext, errorMessage, fail } from "./context.ts";
import { inputsOrFail, progressFor } from "./read_inputs.ts";
import type { ReportFlags } from "./command_flags.ts";

/** Runs `report`: writes the page and prints its path; returns the exit code. */
export async function runReport(
  files: readonly string[],
  flags: ReportFlags,
  context: CommandContext,
): Promise<number> {
  let out: string;
  try {
    out = outputFilePath(context.root, flags.out, ".html");
  } catch (error) {
    return fail(context, errorMessage(error));
  }
  const inputs = await inputsOrFail(context, files, { stdin: true });
  if (typeof inputs === "number") return inputs;
  const progress = progressFor(context, "report", inputs.totalBytes);
  const data = await collectReportData(inputs.inputs, {
    symbols: flags.symbols,
    interval: flags.interval,
    format: flags.format,
    mode: flags.mode,
    maxLineBytes: flags.maxLineBytes,
    onBytes: (n) => progress.add(n),
  });
  progress.stop();
  await Deno.mkdir(resolve(out, ".."), { recursive: true });
  await Deno.writeTextFile(out, renderReportHtml(data));
  writeAllSync(context.stdout, `report: ${out}\n`);
  return EXIT_OK;
}
