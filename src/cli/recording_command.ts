/**
 * The frame both entry scripts run a recording in: logging, shutdown signals, the recording
 * itself (`app/recording.ts`), the summary line and the exit code.
 *
 * @module
 */

import type { PipelineOptions } from "../app/pipeline.ts";
import { type Feed, runRecording } from "../app/recording.ts";
import { isCleanRun } from "../app/run_summary.ts";
import { setupLogging, teardownLogging } from "../log/logging.ts";
import { EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE } from "./exit_codes.ts";
import { type CommonFlags, sinkTuningFrom } from "./sink_options.ts";
import { type ObserverConfig } from "../config/config_types.ts";
import { type EnvReader, loadRunConfig } from "./run_config.ts";
import { printable } from "../io/printable.ts";
import { abortOnShutdownSignals, FORCED_EXIT_CODE } from "./signals.ts";
import { writeAllSync } from "./stdio.ts";
import { formatFollowersBehind, formatQualityWarnings, formatSummary } from "./summary_line.ts";
import { errorMessage } from "../io/error_message.ts";

/** A recording run as the entry scripts describe it. */
export interface RecordingRun {
  /** Project root; records go to `<root>/data/observer`. */
  readonly root: string;
  /** Parsed common flags: record file, sink tuning and log level. */
  readonly flags: CommonFlags;
  /** Further pipeline options (guard policy, stamp, clocks); file and tuning come from `flags`. */
  readonly pipeline?: Omit<PipelineOptions, "root" | "fileName" | "tuning">;
  /** Produces the snapshots of this run. */
  readonly feed: Feed;
  /** Exit used by a second shutdown signal. */
  readonly forceExit: (code: number) => void;
  /**
   * Reads an environment variable (the entry script's `Deno.env.get`): the connection URLs a
   * configuration names by variable.
   */
  readonly env: EnvReader;
  /** The configuration file (resolved path), when `--config` was given. */
  readonly configPath?: string;
  /** Further arguments of the `follow` command that finishes this run's job (`--instance a`). */
  readonly followArgs?: readonly string[];
  /** Sink flags given on the command line (`sinkFlagsGiven`); an error beside `configPath`. */
  readonly sinkFlagsGiven?: readonly string[];
  /**
   * Checks and adapts the loaded configuration before anything is opened (`consume` names its
   * files per instance); a thrown error's message is printed and the run exits 2.
   */
  readonly configure?: (config: ObserverConfig | undefined) => Promise<ObserverConfig | undefined>;
}

/** The configuration of a run, or the message saying why it cannot be used. */
async function configOf(run: RecordingRun): Promise<ObserverConfig | undefined | string> {
  if (run.configPath === undefined) return undefined;
  const given = run.sinkFlagsGiven ?? [];
  if (given.length > 0) {
    return `${given.join(", ")} and --config: expected the sinks in one place; with --config, ` +
      `set them in the file (${printable(run.configPath)})`;
  }
  return await loadRunConfig(run.configPath, run.env);
}

/** {@linkcode configOf}, then the run's own checks (`configure`). */
async function configuredConfig(
  run: RecordingRun,
): Promise<ObserverConfig | undefined | string> {
  const config = await configOf(run);
  if (typeof config === "string" || run.configure === undefined) return config;
  try {
    return await run.configure(config);
  } catch (error) {
    return errorMessage(error);
  }
}

/**
 * Runs one recording and returns the exit code: {@linkcode EXIT_OK} when every input became a
 * written record, {@linkcode EXIT_INCOMPLETE} when some were rejected, blocked, dropped or not
 * written, {@linkcode EXIT_USAGE} when the pipeline could not start. The summary line goes to
 * stdout, logs to stderr. The first SIGINT/SIGTERM stops the feed and still drains and flushes;
 * a second one at least a second later exits at once (`signals.ts`: sooner ones are the echo of
 * the same Ctrl+C through `deno task`).
 */
export async function runRecordingCommand(run: RecordingRun): Promise<number> {
  const config = await configuredConfig(run);
  if (typeof config === "string") {
    writeAllSync(Deno.stderr, `error: ${config}\n`);
    return EXIT_USAGE;
  }
  // A stdout sink owns standard output; the summary then goes to stderr.
  const summaryOut = config?.sinks.some((s) => s.type === "stdout") ? Deno.stderr : Deno.stdout;
  await setupLogging({ level: run.flags.logLevel, write: (l) => writeAllSync(Deno.stderr, l) });
  try {
    const controller = new AbortController();
    using _signals = abortOnShutdownSignals(controller, () => run.forceExit(FORCED_EXIT_CODE));
    let outcome;
    try {
      outcome = await runRecording(
        {
          ...run.pipeline,
          root: run.root,
          fileName: run.flags.file,
          tuning: config === undefined ? sinkTuningFrom(run.flags) : undefined,
          config,
          stdout: Deno.stdout,
          followTimeoutMs: run.flags.followTimeout * 1000,
        },
        run.feed,
        controller.signal,
      );
    } catch (error) {
      writeAllSync(Deno.stderr, `error: ${error instanceof Error ? error.message : error}\n`);
      return EXIT_USAGE;
    }
    writeAllSync(summaryOut, formatSummary(outcome.summary) + "\n");
    writeAllSync(Deno.stderr, formatQualityWarnings(outcome.summary));
    writeAllSync(
      Deno.stderr,
      formatFollowersBehind(
        outcome.summary,
        `deno task observer follow --config ${run.configPath ?? "<your configuration>"}` +
          (run.followArgs ?? []).map((arg) => ` ${arg}`).join(""),
      ),
    );
    if (outcome.feedError !== undefined) {
      const error = outcome.feedError;
      const message = errorMessage(error);
      writeAllSync(Deno.stderr, `error: input stopped early: ${message}\n`);
      return EXIT_INCOMPLETE;
    }
    return isCleanRun(outcome.summary) ? EXIT_OK : EXIT_INCOMPLETE;
  } finally {
    await teardownLogging();
  }
}
