/**
 * `observer.ts replay`: the snapshots of record files, snapshot files or market archives through
 * a fresh pipeline into a new record file. Its action (`replay_action.ts`) is loaded only when
 * `replay` runs.
 *
 * @module
 */

import { Option } from "commander";
import { GENERATED_AT_CLOCKS } from "../../observer/observer.ts";
import { INPUT_FORMATS } from "../../sources/snapshot_inputs.ts";
import {
  addInputOptions,
  type Command,
  type CommanderOption,
  modeOption,
  workersOption,
} from "../options.ts";
import { addCommonOptions } from "../sink_options.ts";
import type { CommandHost } from "./program.ts";
import type { ReplayFlags } from "./command_flags.ts";

/** `--format` of the commands that read snapshot inputs (`replay`, `report`). */
export function inputFormatOption(): CommanderOption {
  return new Option("--format <format>", "input format; auto looks at the first line of each file")
    .choices([...INPUT_FORMATS]).default("auto");
}

/** Adds `replay` to `program`. */
export function registerReplay(program: Command, host: CommandHost): void {
  addInputOptions(addCommonOptions(
    program.command("replay")
      .description(
        "Feed the snapshots of record files, snapshot files or KIS track_a_swing market archives " +
          "through a fresh pipeline into a new record file (refused if it already exists).",
      )
      .argument("<files...>", "inputs, replayed in order")
      .addOption(inputFormatOption())
      .addOption(
        new Option(
          "--clock <clock>",
          "generated_at: wall clock, or each snapshot's own time " +
            "(deterministic: the same input gives a byte-identical file)",
        )
          .choices([...GENERATED_AT_CLOCKS]).default("wall"),
      )
      .addOption(modeOption())
      .addOption(workersOption(navigator.hardwareConcurrency)),
    "replay.jsonl",
  ))
    .addHelpText(
      "after",
      "\nExit codes as for record.\n\nExamples:\n" +
        "  deno task observer replay --clock snapshot --file again.jsonl data/observer/observer.jsonl\n" +
        "  deno task observer replay --format kis-swing --file kis.jsonl tests/fixtures/kis-swing-20260126.jsonl",
    )
    .exitOverride()
    .action(host.action(async (files: string[], flags: ReplayFlags, command: Command) => {
      const { runReplay } = await import("./replay_action.ts");
      return await runReplay(files, flags, command, host.context);
    }));
}
