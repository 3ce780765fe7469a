/**
 * `main.ts`: the QTS runtime with its internal Observer. The simulated market session (or a
 * replayed market archive) is recorded here, posted to a running service (`--post`) or
 * published to NATS (`--publish`); each mode loads only what it runs.
 *
 * @module
 */

import { Command as CommanderCommand } from "commander";
import { DEFAULT_SUBJECT_PREFIX, SUBJECT_PREFIX_PATTERN } from "../../nats/subjects.ts";
import { NATS_PUBLISH_DEFAULTS } from "../../nats/settings.ts";
import { runSimulatedSession, type SimulatedSessionOptions } from "../../runtime/qts_runtime.ts";
import { parseList, parseNonNegativeInt, parsePositiveInt } from "../flag_parsers.ts";
import {
  addInputOptions,
  type Command,
  type InputFlags,
  modeOption,
  workersFlag,
  workersOption,
} from "../options.ts";
import { SHUTDOWN_SIGNALS_HELP } from "../signals.ts";
import { addCommonOptions, type CommonFlags, configFlags } from "../sink_options.ts";
import { reportRejectedLine, synchronousCommanderOutput } from "../stdio.ts";
import { type CommandContext, errorMessage, fail } from "./context.ts";

/** The flags of `main.ts`. */
export interface RuntimeFlags extends CommonFlags, InputFlags {
  /** `--symbols`: the simulated market's symbols. */
  symbols: string[];
  /** `--ticks`: ticks per symbol. */
  ticks: number;
  /** `--seed`: the random seed. */
  seed: number;
  /** `--session`: `session_id` of every snapshot. */
  session: string;
  /** `--mode`: `meta.mode` of every snapshot. */
  mode: string;
  /** `--replay`: a market archive to feed instead of the simulated market. */
  replay?: string;
  /** `--post`: the service URL to post the session to. */
  post?: string;
  /** `--post-token-env`: the variable holding the service's token. */
  postTokenEnv?: string;
  /** `--post-batch`: snapshots per request. */
  postBatch: number;
  /** `--publish`: the NATS servers to publish the session to. */
  publish?: string[];
  /** `--publish-prefix`: the first subject tokens. */
  publishPrefix: string;
  /** `--publish-ack-window`: publishes waiting for their ack at most. */
  publishAckWindow: number;
}

/** The program of `main.ts`: its flags, help and exit codes (parse it, then {@linkcode runRuntime}). */
export function runtimeProgram(): Command {
  return addInputOptions(addCommonOptions(
    new CommanderCommand("main.ts")
      .description(
        "QTS runtime with its internal Observer: runs a deterministic simulated market session " +
          "and records every snapshot to data/observer/<file>.",
      )
      .option("--symbols <list>", "comma-separated symbols", parseList, [
        "005930",
        "000660",
        "035420",
      ])
      .option("--ticks <n>", "ticks per symbol", parsePositiveInt, 20)
      .option(
        "--seed <n>",
        "random seed; the same seed gives the same prices",
        parseNonNegativeInt,
        42,
      )
      .option("--session <id>", "session_id of every snapshot", `qts-${Date.now()}`)
      .addOption(modeOption())
      .option(
        "--post <url>",
        "send the session to a running Observer service (observer.ts serve) instead of " +
          "recording it here, e.g. http://127.0.0.1:8089/v1/snapshots",
      )
      .option("--post-token-env <name>", "environment variable holding the service's token")
      .option("--post-batch <n>", "snapshots per request with --post", parsePositiveInt, 1000)
      .option(
        "--publish <urls>",
        "publish the session's snapshots to NATS JetStream instead of recording them here " +
          "(observer.ts consume records them), e.g. nats://127.0.0.1:4222 (comma-separated: " +
          "the servers of a cluster)",
        parseList,
      )
      .option(
        "--publish-prefix <prefix>",
        "first subject tokens with --publish: <prefix>.snapshots.<source>.<symbol>",
        DEFAULT_SUBJECT_PREFIX,
      )
      .option(
        "--publish-ack-window <n>",
        "publishes waiting for their ack at most, with --publish",
        parsePositiveInt,
        NATS_PUBLISH_DEFAULTS.ackWindow,
      )
      .option(
        "--replay <archive>",
        "feed a recorded market archive (KIS track_a_swing JSONL; also snapshot or record " +
          "files) instead of the simulated market; --symbols/--ticks/--seed/--session do not " +
          "apply",
      )
      .addOption(workersOption(navigator.hardwareConcurrency)),
  ))
    .addHelpText(
      "after",
      "\nExit codes: 0 all recorded, 1 some snapshots blocked/dropped/not written, 2 bad flags " +
        `or an unreadable --replay archive.\n\n${SHUTDOWN_SIGNALS_HELP}`,
    )
    .exitOverride()
    .configureOutput(synchronousCommanderOutput());
}

/** Why the flags do not go together, or undefined when they do. */
function flagsProblem(flags: RuntimeFlags, program: Command): string | undefined {
  if (flags.symbols.length === 0) return "--symbols: expected at least one symbol";
  const workers = workersFlag(program);
  if (flags.replay === undefined && workers.required && workers.count > 1) {
    return `--workers ${workers.count}: the simulated market runs on one thread; --workers ` +
      "applies to --replay";
  }
  if (flags.replay !== undefined && (flags.publish !== undefined || flags.post !== undefined)) {
    return `--replay with ${flags.publish !== undefined ? "--publish" : "--post"}: these send ` +
      "the simulated session, not an archive; to send an archive, replay it through a sink " +
      "that follows the log, e.g. deno task observer replay --config <file with a nats sink> " +
      "--format kis-swing <archive>";
  }
  if (flags.publish !== undefined && !SUBJECT_PREFIX_PATTERN.test(flags.publishPrefix)) {
    return `--publish-prefix: expected tokens of letters, digits, _ and - separated by dots, ` +
      `got ${JSON.stringify(flags.publishPrefix)}`;
  }
  return undefined;
}

/**
 * Runs `main.ts` with its parsed flags (`program` is {@linkcode runtimeProgram} after parsing);
 * returns the exit code.
 */
export async function runRuntime(
  flags: RuntimeFlags,
  program: Command,
  context: CommandContext,
): Promise<number> {
  const problem = flagsProblem(flags, program);
  if (problem !== undefined) return fail(context, problem);
  let archive: string | undefined;
  if (flags.replay !== undefined) {
    try {
      const { checkInputFiles } = await import("../inputs.ts");
      archive = (await checkInputFiles([context.userPath(flags.replay)])).paths[0];
    } catch (error) {
      return fail(context, errorMessage(error));
    }
  }
  /** The simulated session the flags describe (recorded here, posted or published). */
  const session: SimulatedSessionOptions = {
    symbols: flags.symbols,
    ticks: flags.ticks,
    seed: flags.seed,
    startMs: Date.now(),
    sessionId: flags.session,
    mode: flags.mode,
  };
  if (flags.publish !== undefined) {
    const { runPublishCommand } = await import("../publish_command.ts");
    return await runPublishCommand(flags.publish, {
      subjectPrefix: flags.publishPrefix,
      ackWindow: flags.publishAckWindow,
      session,
      logLevel: flags.logLevel,
      forceExit: context.forceExit,
    });
  }
  if (flags.post !== undefined) {
    const { runPostCommand } = await import("../post_command.ts");
    return await runPostCommand(flags.post, {
      tokenEnv: flags.postTokenEnv,
      batch: flags.postBatch,
      session,
      env: context.env,
    });
  }
  return await recordSession(flags, program, context, session, archive);
}

/** Records the session, or the archive when there is one, here; returns the exit code. */
async function recordSession(
  flags: RuntimeFlags,
  program: Command,
  context: CommandContext,
  session: SimulatedSessionOptions,
  archive: string | undefined,
): Promise<number> {
  const { runRecordingCommand } = await import("../recording_command.ts");
  const { replayFiles } = await import("../../app/replay.ts");
  return await runRecordingCommand({
    root: context.root,
    flags,
    ...configFlags(program, context.userPath),
    env: context.env,
    pipeline: { workers: archive === undefined ? undefined : workersFlag(program) },
    forceExit: context.forceExit,
    feed: async (observer, signal, deadLetters, pipeline) => {
      if (archive !== undefined) {
        return await replayFiles(observer, [archive], {
          parallel: pipeline.parallel,
          mode: flags.mode,
          signal,
          deadLetters,
          maxLineBytes: flags.maxLineBytes,
          onRejected: reportRejectedLine,
        });
      }
      await runSimulatedSession(observer, { ...session, signal });
      return { rejected: 0 };
    },
  });
}
