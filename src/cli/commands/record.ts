/**
 * `observer.ts record` (the default command): snapshot lines from standard input or `--input`
 * into the sinks.
 *
 * @module
 */

import { recordStream, replayFiles } from "../../app/replay.ts";
import {
  addInputOptions,
  type Command,
  type InputFlags,
  workersFlag,
  workersOption,
} from "../options.ts";
import { runRecordingCommand } from "../recording_command.ts";
import { SHUTDOWN_SIGNALS_HELP } from "../signals.ts";
import { addCommonOptions, type CommonFlags, configFlags } from "../sink_options.ts";
import { reportRejectedLine, writeAllSync } from "../stdio.ts";
import { type CommandContext, fail } from "./context.ts";
import { type CommandInputs, inputsOrFail } from "./read_inputs.ts";
import type { CommandHost } from "./program.ts";

/** The flags of `record`. */
export interface RecordFlags extends CommonFlags, InputFlags {
  /** `--input`: the file to read instead of standard input. */
  input?: string;
}

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
    .action(
      host.action((flags: RecordFlags, command: Command) =>
        runRecord(flags, command, host.context)
      ),
    );
}

/** Runs `record` with its parsed flags; returns the exit code. */
export async function runRecord(
  flags: RecordFlags,
  command: Command,
  context: CommandContext,
): Promise<number> {
  let inputs: CommandInputs | undefined;
  const workers = workersFlag(command);
  if (flags.input === undefined && workers.required && workers.count > 1) {
    return fail(
      context,
      `--workers ${workers.count}: standard input is read by one thread; expected ` +
        "--input <file> (see README, Parallel recording)",
    );
  }
  if (flags.input !== undefined) {
    const checked = await inputsOrFail(context, [flags.input]);
    if (typeof checked === "number") return checked;
    inputs = checked;
  } else if (context.stdin.isTerminal()) {
    writeAllSync(
      context.stderr,
      "reading snapshot lines from the terminal; end with Ctrl+D (see --help)\n",
    );
  }
  return await runRecordingCommand({
    root: context.root,
    flags,
    ...configFlags(command, context.userPath),
    env: context.env,
    pipeline: { workers: inputs === undefined ? undefined : workers },
    forceExit: context.forceExit,
    feed: (observer, signal, deadLetters, pipeline) => {
      const options = {
        format: "snapshots",
        signal,
        deadLetters,
        maxLineBytes: flags.maxLineBytes,
        onRejected: reportRejectedLine,
      } as const;
      return inputs === undefined
        ? recordStream(observer, "stdin", context.stdin.readable, options)
        : replayFiles(observer, inputs.inputs, { ...options, parallel: pipeline.parallel });
    },
  });
}
