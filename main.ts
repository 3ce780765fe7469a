/**
 * main.ts — the QTS runtime with its internal Observer: a deterministic simulated market
 * session whose snapshots are recorded to data/observer.
 *
 * Run with `deno task run` (see README for flags and permissions).
 *
 * @module
 */

import { Command } from "commander";
import { replayFiles } from "./src/app/replay.ts";
import {
  addCommonOptions,
  type CommonFlags,
  EXIT_USAGE,
  exitCodeOfParseError,
  parseList,
  parseNonNegativeInt,
  parsePositiveInt,
  scriptArgs,
} from "./src/cli/options.ts";
import { entryRoot, initCwd, userPathResolver } from "./src/cli/entry.ts";
import { runRecording } from "./src/cli/run_recording.ts";
import { synchronousCommanderOutput, writeAllSync } from "./src/cli/stdio.ts";
import { runSimulatedSession } from "./src/runtime/qts_runtime.ts";

interface MainFlags extends CommonFlags {
  symbols: string[];
  ticks: number;
  seed: number;
  session: string;
  mode: string;
  replay?: string;
}

const root = entryRoot(import.meta.dirname);

const program = addCommonOptions(
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
    .option("--mode <mode>", "meta.mode of every snapshot (DEV, PROD, ...)", "DEV")
    .option(
      "--replay <archive>",
      "feed a recorded market archive (KIS track_a_swing JSONL; also snapshot or record files) " +
        "instead of the simulated market; --symbols/--ticks/--seed/--session do not apply",
    ),
)
  .addHelpText(
    "after",
    "\nExit codes: 0 all recorded, 1 some snapshots blocked/dropped/not written, 2 bad flags.",
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

const archive = flags.replay === undefined ? undefined : userPathResolver(initCwd())(flags.replay);

const code = await runRecording({
  root,
  flags,
  forceExit: Deno.exit,
  feed: async (observer, signal) => {
    if (archive !== undefined) {
      return await replayFiles(observer, [archive], {
        mode: flags.mode,
        signal,
        onRejected: (file, line, reason) =>
          writeAllSync(Deno.stderr, `${file}:${line}: rejected: ${reason}\n`),
      });
    }
    await runSimulatedSession(observer, {
      symbols: flags.symbols,
      ticks: flags.ticks,
      seed: flags.seed,
      startMs: Date.now(),
      sessionId: flags.session,
      mode: flags.mode,
      signal,
    });
    return { rejected: 0 };
  },
});
Deno.exit(code);
