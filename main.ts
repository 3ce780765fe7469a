/**
 * main.ts — the QTS runtime with its internal Observer: a deterministic simulated market
 * session whose snapshots are recorded to data/observer.
 *
 * Run with `deno task run` (see README for flags and permissions).
 *
 * @module
 */

import { Command } from "commander";
import {
  addCommonOptions,
  addInputOptions,
  type CommonFlags,
  configFlags,
  EXIT_USAGE,
  exitCodeOfParseError,
  type InputFlags,
  modeOption,
  parseList,
  parseNonNegativeInt,
  parsePositiveInt,
  scriptArgs,
  workersFlag,
  workersOption,
} from "./src/cli/options.ts";
import { entryRoot, initCwd, userPathResolver } from "./src/cli/entry.ts";
import { reportRejectedLine, synchronousCommanderOutput, writeAllSync } from "./src/cli/stdio.ts";
import { runSimulatedSession } from "./src/runtime/qts_runtime.ts";
import { SHUTDOWN_SIGNALS_HELP } from "./src/cli/signals.ts";
import { NATS_PUBLISH_DEFAULTS } from "./src/nats/settings.ts";
import { DEFAULT_SUBJECT_PREFIX, SUBJECT_PREFIX_PATTERN } from "./src/nats/subjects.ts";

interface MainFlags extends CommonFlags, InputFlags {
  symbols: string[];
  ticks: number;
  seed: number;
  session: string;
  mode: string;
  replay?: string;
  post?: string;
  postTokenEnv?: string;
  postBatch: number;
  publish?: string[];
  publishPrefix: string;
  publishAckWindow: number;
}

const root = entryRoot(import.meta.dirname);

const program = addInputOptions(addCommonOptions(
  new Command("main.ts")
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
      "feed a recorded market archive (KIS track_a_swing JSONL; also snapshot or record files) " +
        "instead of the simulated market; --symbols/--ticks/--seed/--session do not apply",
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

let flags: MainFlags;
try {
  flags = program.parse(scriptArgs(Deno.args), { from: "user" }).opts<MainFlags>();
} catch (error) {
  Deno.exit(exitCodeOfParseError(error));
}
if (flags.symbols.length === 0) {
  console.error("error: --symbols: expected at least one symbol");
  Deno.exit(EXIT_USAGE);
}

const workers = workersFlag(program);
if (flags.replay === undefined && workers.required && workers.count > 1) {
  console.error(
    `error: --workers ${workers.count}: the simulated market runs on one thread; --workers ` +
      "applies to --replay",
  );
  Deno.exit(EXIT_USAGE);
}

if (flags.replay !== undefined && (flags.publish !== undefined || flags.post !== undefined)) {
  console.error(
    `error: --replay with ${flags.publish !== undefined ? "--publish" : "--post"}: these send ` +
      "the simulated session, not an archive; to send an archive, replay it through a sink " +
      "that follows the log, e.g. deno task observer replay --config <file with a nats sink> " +
      "--format kis-swing <archive>",
  );
  Deno.exit(EXIT_USAGE);
}

let archive: string | undefined;
if (flags.replay !== undefined) {
  try {
    const { checkInputFiles } = await import("./src/cli/inputs.ts");
    archive = (await checkInputFiles([userPathResolver(initCwd())(flags.replay)])).paths[0];
  } catch (error) {
    writeAllSync(Deno.stderr, `error: ${error instanceof Error ? error.message : error}\n`);
    Deno.exit(EXIT_USAGE);
  }
}

/** The simulated session the flags describe (recorded here, or posted with --post). */
const session = {
  symbols: flags.symbols,
  ticks: flags.ticks,
  seed: flags.seed,
  startMs: Date.now(),
  sessionId: flags.session,
  mode: flags.mode,
};

if (flags.publish !== undefined) {
  if (!SUBJECT_PREFIX_PATTERN.test(flags.publishPrefix)) {
    console.error(
      `error: --publish-prefix: expected tokens of letters, digits, _ and - separated by dots, ` +
        `got ${JSON.stringify(flags.publishPrefix)}`,
    );
    Deno.exit(EXIT_USAGE);
  }
  // Each mode loads what it runs (a publishing runtime starts without the recorder's modules).
  const { runPublishCommand } = await import("./src/cli/publish_command.ts");
  Deno.exit(
    await runPublishCommand(flags.publish, {
      subjectPrefix: flags.publishPrefix,
      ackWindow: flags.publishAckWindow,
      session,
      logLevel: flags.logLevel,
      forceExit: Deno.exit,
    }),
  );
}

if (flags.post !== undefined) {
  const { runPostCommand } = await import("./src/cli/post_command.ts");
  Deno.exit(
    await runPostCommand(flags.post, {
      tokenEnv: flags.postTokenEnv,
      batch: flags.postBatch,
      session,
    }),
  );
}

const { runRecordingCommand } = await import("./src/cli/recording_command.ts");
const { replayFiles } = await import("./src/app/replay.ts");
const code = await runRecordingCommand({
  root,
  flags,
  ...configFlags(program, userPathResolver(initCwd())),
  pipeline: { workers: archive === undefined ? undefined : workers },
  forceExit: Deno.exit,
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
Deno.exit(code);
