/**
 * `observer.ts report`: one self-contained HTML report of record files, snapshot files or market
 * archives under `data/observer`. Its action (`report_action.ts`) is loaded only when `report`
 * runs.
 *
 * @module
 */

import { parseList, parsePositiveInt } from "../flag_parsers.ts";
import { addInputOptions, type Command, modeOption } from "../options.ts";
import type { CommandHost } from "./program.ts";
import { inputFormatOption } from "./replay.ts";
import type { ReportFlags } from "./command_flags.ts";

/** Adds `report` to `program`. */
export function registerReport(program: Command, host: CommandHost): void {
  addInputOptions(program.command("report"))
    .description(
      "Write one self-contained HTML report under data/observer (charts: OHLC candles with " +
        "volume per bar for the most recorded symbols, records per bar from zero, " +
        "blocked/rejected and quality-flag counts in panels of their own, coverage and gaps per " +
        "symbol). Opens without a network.",
    )
    .argument("<files...>", "record files, snapshot files or market archives")
    .option(
      "--out <name>",
      "report file name inside data/observer (ending in .html)",
      "report.html",
    )
    .option(
      "--symbols <list>",
      "comma-separated symbols to chart (default: the 4 most recorded)",
      parseList,
    )
    .option(
      "--interval <seconds>",
      "bar interval in seconds (default: chosen from the span, at most 300 bars)",
      parsePositiveInt,
    )
    .addOption(inputFormatOption())
    .addOption(modeOption())
    .addHelpText(
      "after",
      "\nExit codes: 0 written, 2 bad flags or unreadable input.\n\nExample:\n" +
        "  deno task observer report --symbols 005930,000660 data/observer/observer.jsonl",
    )
    .exitOverride()
    .action(host.action(async (files: string[], flags: ReportFlags) => {
      const { runReport } = await import("./report_action.ts");
      return await runReport(files, flags, host.context);
    }));
}
