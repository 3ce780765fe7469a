/**
 * The action of `observer.ts follow`: the followers of a configuration's network sinks, run on
 * this thread (nothing records here) until they have delivered the record log, or until a
 * signal with `--watch`; the summary and the exit code.
 *
 * @module
 */

import { finishFollowers, followerSinkSummary, openFollowers } from "../../app/followers.ts";
import { followersBehind } from "../../app/run_summary.ts";
import { logLocation, type RecordingLayout, recordingLayout } from "../../app/recording_log.ts";
import { listLogFiles } from "../../follow/log_files.ts";
import { setupLogging, teardownLogging } from "../../log/logging.ts";
import { EXIT_INCOMPLETE, EXIT_OK } from "../exit_codes.ts";
import { instanceConfig } from "../nats_commands.ts";
import { loadRunConfig } from "../run_config.ts";
import { abortOnShutdownSignals, FORCED_EXIT_CODE } from "../signals.ts";
import { writeAllSync } from "../stdio.ts";
import { formatSinkLine } from "../summary_line.ts";
import { type CommandContext, errorMessage, fail } from "./context.ts";
import type { FollowFlags } from "./command_flags.ts";

/** A layout with a log and followers of it. */
type FollowedLayout = RecordingLayout & { readonly log: NonNullable<RecordingLayout["log"]> };

/** The log and followers of the configuration `flags` name, or the exit code 2 after why not. */
async function followLayout(
  flags: FollowFlags,
  context: CommandContext,
): Promise<FollowedLayout | number> {
  const configPath = context.userPath(flags.config);
  const loaded = await loadRunConfig(configPath, context.env);
  if (typeof loaded === "string") return fail(context, loaded);
  let layout;
  try {
    const config = flags.instance === undefined ? loaded : instanceConfig(loaded, flags.instance);
    layout = recordingLayout(config);
  } catch (error) {
    return fail(context, errorMessage(error));
  }
  if (layout.followers.length === 0 || layout.log === undefined) {
    return fail(
      context,
      `${configPath}: expected a sink that follows the record log (postgres, nats), ` +
        "got none: nothing to follow",
    );
  }
  return { ...layout, log: layout.log };
}

/**
 * Runs the followers of `--config` and returns the exit code: 0 when every one delivered the
 * whole log, 1 when some stopped behind (at the timeout, or at a signal), 2 when they could not
 * start (a bad configuration, none to run, one running elsewhere).
 */
export async function runFollow(flags: FollowFlags, context: CommandContext): Promise<number> {
  const layout = await followLayout(flags, context);
  if (typeof layout === "number") return layout;
  const watch = flags.watch ?? false;
  await setupLogging({ level: flags.logLevel, write: (l) => writeAllSync(context.stderr, l) });
  try {
    const controller = new AbortController();
    using _signals = abortOnShutdownSignals(
      controller,
      () => context.forceExit(FORCED_EXIT_CODE),
    );
    const log = logLocation(context.root, layout.log);
    if ((await listLogFiles(log)).length === 0) {
      writeAllSync(
        context.stderr,
        `warning: the log ${layout.log.file} has no files in ${log.dir} yet` +
          (flags.instance === undefined ? " (a consume instance's log: give --instance)" : "") +
          "\n",
      );
    }
    let followers;
    try {
      followers = await openFollowers(layout.followers, log, { onThisThread: true });
    } catch (error) {
      return fail(context, errorMessage(error));
    }
    if (watch && !controller.signal.aborted) {
      await new Promise((resolve) =>
        controller.signal.addEventListener("abort", resolve, { once: true })
      );
    }
    const summaries = await finishFollowers(
      followers,
      log.base,
      watch ? 0 : flags.followTimeout * 1000,
      controller.signal,
    );
    const sinks = summaries.map((f, i) => followerSinkSummary(f, layout.followers[i].type));
    writeAllSync(
      context.stdout,
      `follow: log=${layout.log.file} dir=${log.dir} followers=${sinks.length}\n` +
        sinks.map(formatSinkLine).join("\n") + "\n",
    );
    const behind = followersBehind({ sinks });
    if (behind.length > 0 && !watch) {
      writeAllSync(
        context.stderr,
        `error: ${behind.map((f) => f.name).join(", ")} did not catch up within ` +
          `${flags.followTimeout} s; run follow again (each resumes at its checkpoint)\n`,
      );
    }
    return behind.length === 0 ? EXIT_OK : EXIT_INCOMPLETE;
  } finally {
    await teardownLogging();
  }
}
