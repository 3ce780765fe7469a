/**
 * The action of `observer.ts replay`: the snapshots of its inputs through a fresh pipeline into a
 * new record file.
 *
 * @module
 */

import { replayFiles } from "../../app/replay.ts";
import { recordFilePath } from "../../paths.ts";
import { type Command, workersFlag } from "../options.ts";
import { runRecordingCommand } from "../recording_command.ts";
import { configFlags } from "../sink_options.ts";
import { reportBadLine, reportRejectedLine } from "../stdio.ts";
import { type CommandContext, errorMessage, fail } from "./context.ts";
import { inputsOrFail, progressFor } from "./read_inputs.ts";
import type { ReplayFlags } from "./command_flags.ts";

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
