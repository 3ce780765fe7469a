/**
 * `observer.ts replay`: the snapshots of record files, snapshot files or market archives through
 * a fresh pipeline into a new record file.
 *
 * @module
 */

import { Option } from "commander";
import { replayFiles } from "../../app/replay.ts";
import { GENERATED_AT_CLOCKS, type GeneratedAtClock } from "../../observer/observer.ts";
import { recordFilePath } from "../../paths.ts";
import { INPUT_FORMATS, type InputFormat } from "../../sources/snapshot_inputs.ts";
import {
  addInputOptions,
  type Command,
  type CommanderOption,
  type InputFlags,
  modeOption,
  workersFlag,
  workersOption,
} from "../options.ts";
import { runRecordingCommand } from "../recording_command.ts";
import { addCommonOptions, type CommonFlags, configFlags } from "../sink_options.ts";
import { reportBadLine, reportRejectedLine } from "../stdio.ts";
import { type CommandContext, errorMessage, fail } from "./context.ts";
import { inputsOrFail, progressFor } from "./read_inputs.ts";
import type { CommandHost } from "./program.ts";

/** The flags of `replay`. */
export interface ReplayFlags extends CommonFlags, InputFlags {
  /** `--format`: the inputs' format, or `auto`. */
  format: InputFormat;
  /** `--clock`: where `generated_at` comes from. */
  clock: GeneratedAtClock;
  /** `--mode`: `meta.mode` of snapshots made from market archives. */
  mode: string;
}

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
    .action(
      host.action((files: string[], flags: ReplayFlags, command: Command) =>
        runReplay(files, flags, command, host.context)
      ),
    );
}

/** Runs `replay` with its inputs and parsed flags; returns the exit code. */
export async function runReplay(
  files: readonly string[],
  flags: ReplayFlags,
  command: Command,
  context: CommandContext,
): Promise<number> {
  const inputs = await inputsOrFail(context, files, { stdin: true });
  if (typeof inputs === "number") return inputs;
  try {
    const out = recordFilePath(context.root, flags.file);
    if ((await Deno.stat(out).then((s) => s.size, () => 0)) > 0) {
      return fail(
        context,
        `${out} already exists: replay writes a new record file; choose another --file`,
      );
    }
  } catch (error) {
    return fail(context, errorMessage(error));
  }
  const progress = progressFor(context, "replay", inputs.totalBytes);
  return await runRecordingCommand({
    root: context.root,
    flags,
    ...configFlags(command, context.userPath),
    env: context.env,
    forceExit: context.forceExit,
    pipeline: { generatedAt: flags.clock, workers: workersFlag(command) },
    feed: async (observer, signal, deadLetters, pipeline) => {
      try {
        return await replayFiles(observer, inputs.inputs, {
          parallel: pipeline.parallel,
          format: flags.format,
          mode: flags.mode,
          signal,
          deadLetters,
          maxLineBytes: flags.maxLineBytes,
          onBytes: (n) => progress.add(n),
          onRejected: reportRejectedLine,
          onTornTail: reportBadLine,
        });
      } finally {
        progress.stop();
      }
    },
  });
}
