/**
 * The action of `observer.ts record`: snapshot lines from standard input or `--input` through a
 * recording into the sinks.
 *
 * @module
 */

import { recordStream, replayFiles } from "../../app/replay.ts";
import { type Command, workersFlag } from "../options.ts";
import { runRecordingCommand } from "../recording_command.ts";
import { configFlags } from "../sink_options.ts";
import { reportRejectedLine, writeAllSync } from "../stdio.ts";
import { type CommandContext, fail } from "./context.ts";
import { type CommandInputs, inputsOrFail } from "./read_inputs.ts";
import type { RecordFlags } from "./command_flags.ts";

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
