/**
 * `observer.ts follow --config <file>`: ships what the followers of a configuration (its network
 * sinks) have not yet delivered from the record log, and exits once they are caught up; with
 * `--watch` it keeps following a live log, like `tail -F` with checkpoints, until a signal.
 *
 * @module
 */

import { finishFollowers, followerSinkSummary, openFollowers } from "../app/followers.ts";
import { followersBehind } from "../app/run_summary.ts";
import { logLocation, recordingLayout } from "../app/recording_log.ts";
import { type LogLevelName, setupLogging, teardownLogging } from "../log/logging.ts";
import { EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE } from "./options.ts";
import { loadRunConfig } from "./recording_command.ts";
import { instanceConfig } from "./nats_commands.ts";
import { listLogFiles } from "../follow/log_files.ts";
import { abortOnShutdownSignals, FORCED_EXIT_CODE } from "./signals.ts";
import { writeAllSync } from "./stdio.ts";
import { formatSinkLine } from "./summary_line.ts";

/** What `follow` was asked. */
export interface FollowRun {
  /** Project root; the log is in `<root>/data/observer`. */
  readonly root: string;
  /** The configuration file (resolved path). */
  readonly configPath: string;
  /** `consume`'s instance whose log to follow (its files are `<base>.<instance>.jsonl`). */
  readonly instance?: string;
  /** Keep following until a signal instead of ending once caught up. */
  readonly watch: boolean;
  /** Without `watch`: how long to try before giving up (exit 1), in seconds. */
  readonly timeoutSeconds: number;
  /** Lowest level logged to stderr. */
  readonly logLevel: LogLevelName;
  /** Exit used by a second shutdown signal. */
  readonly forceExit: (code: number) => void;
}

/**
 * Runs the followers of `configPath` and returns the exit code: 0 when every one delivered the
 * whole log, 1 when some stopped behind (at the timeout, or at a signal), 2 when they could not
 * start (a bad configuration, none to run, one running elsewhere).
 */
export async function runFollowCommand(run: FollowRun): Promise<number> {
  const loaded = await loadRunConfig(run.configPath);
  if (typeof loaded === "string") {
    writeAllSync(Deno.stderr, `error: ${loaded}\n`);
    return EXIT_USAGE;
  }
  let layout;
  try {
    const config = run.instance === undefined ? loaded : instanceConfig(loaded, run.instance);
    layout = recordingLayout(config);
  } catch (error) {
    writeAllSync(Deno.stderr, `error: ${(error as Error).message}\n`);
    return EXIT_USAGE;
  }
  if (layout.followers.length === 0 || layout.log === undefined) {
    writeAllSync(
      Deno.stderr,
      `error: ${run.configPath}: expected a sink that follows the record log (postgres, nats), ` +
        "got none: nothing to follow\n",
    );
    return EXIT_USAGE;
  }
  await setupLogging({ level: run.logLevel, write: (l) => writeAllSync(Deno.stderr, l) });
  try {
    const controller = new AbortController();
    using _signals = abortOnShutdownSignals(controller, () => run.forceExit(FORCED_EXIT_CODE));
    const log = logLocation(run.root, layout.log);
    if ((await listLogFiles(log)).length === 0) {
      writeAllSync(
        Deno.stderr,
        `warning: the log ${layout.log.file} has no files in ${log.dir} yet` +
          (run.instance === undefined ? " (a consume instance's log: give --instance)" : "") +
          "\n",
      );
    }
    let followers;
    try {
      followers = await openFollowers(layout.followers, log);
    } catch (error) {
      writeAllSync(Deno.stderr, `error: ${(error as Error).message}\n`);
      return EXIT_USAGE;
    }
    if (run.watch && !controller.signal.aborted) {
      await new Promise((resolve) =>
        controller.signal.addEventListener("abort", resolve, { once: true })
      );
    }
    const summaries = await finishFollowers(
      followers,
      log.base,
      run.watch ? 0 : run.timeoutSeconds * 1000,
      controller.signal,
    );
    const sinks = summaries.map((f, i) => followerSinkSummary(f, layout.followers[i].type));
    writeAllSync(
      Deno.stdout,
      `follow: log=${layout.log.file} dir=${log.dir} followers=${sinks.length}\n` +
        sinks.map(formatSinkLine).join("\n") + "\n",
    );
    const behind = followersBehind({ sinks });
    if (behind.length > 0 && !run.watch) {
      writeAllSync(
        Deno.stderr,
        `error: ${behind.map((f) => f.name).join(", ")} did not catch up within ` +
          `${run.timeoutSeconds} s; run follow again (each resumes at its checkpoint)\n`,
      );
    }
    return behind.length === 0 ? EXIT_OK : EXIT_INCOMPLETE;
  } finally {
    await teardownLogging();
  }
}
