/**
 * Shutdown signals for the entry scripts: the first SIGINT/SIGTERM asks for a clean stop; a
 * second one exits at once, but only when it comes {@linkcode SECOND_SIGNAL_GRACE_MS} or more
 * after the first.
 *
 * Why the grace: Ctrl+C in a terminal sends SIGINT to the whole foreground process group, so
 * under `deno task` the script gets it from the terminal and again from `deno task`, which
 * forwards the signals it receives to its child. Both copies arrive within milliseconds; counting
 * the echo as a second, deliberate signal made one Ctrl+C exit 130 without draining, flushing
 * or printing the summary.
 *
 * @module
 */

/** The signals that stop a run cleanly. */
export const SHUTDOWN_SIGNALS: readonly Deno.Signal[] = ["SIGINT", "SIGTERM"];

/** Exit code after a second signal forced the process down (128 + SIGINT). */
export const FORCED_EXIT_CODE = 130;

/**
 * Milliseconds after the first shutdown signal during which further signals are taken as copies
 * of the same one (a terminal's Ctrl+C reaches both `deno task` and the script, and `deno task`
 * forwards it) and ignored; a signal this long after the first or later exits at once.
 */
export const SECOND_SIGNAL_GRACE_MS = 1000;

/** The help text's sentence on shutdown signals, for the commands that record. */
export const SHUTDOWN_SIGNALS_HELP: string =
  "Ctrl+C or SIGTERM stops the input, drains, flushes and prints the summary; a second signal " +
  `${SECOND_SIGNAL_GRACE_MS / 1000} s or more after the first exits at once (code ` +
  `${FORCED_EXIT_CODE}); one sooner is taken as the same Ctrl+C (the terminal and deno task ` +
  "both deliver it).";

/** Options of {@linkcode shutdownSignalHandler}. */
export interface ShutdownSignalOptions {
  /** Clock in milliseconds; `performance.now` when absent. */
  readonly now?: () => number;
  /** Grace after the first signal; {@linkcode SECOND_SIGNAL_GRACE_MS} when absent. */
  readonly graceMs?: number;
}

/**
 * The listener {@linkcode abortOnShutdownSignals} installs: the first call aborts `controller`;
 * a later call exits through `forceExit` when at least `graceMs` passed since the first, and is
 * ignored when sooner.
 *
 * @example
 * ```ts
 * let now = 0;
 * const controller = new AbortController();
 * const handler = shutdownSignalHandler(controller, () => Deno.exit(130), { now: () => now });
 * handler(); // aborts
 * now = 5;
 * handler(); // ignored: the echo of the same Ctrl+C
 * ```
 */
export function shutdownSignalHandler(
  controller: AbortController,
  forceExit: () => void,
  options: ShutdownSignalOptions = {},
): () => void {
  const now = options.now ?? (() => performance.now());
  const graceMs = options.graceMs ?? SECOND_SIGNAL_GRACE_MS;
  let firstAt: number | undefined;
  return () => {
    if (firstAt === undefined) {
      firstAt = now();
      if (!controller.signal.aborted) controller.abort(new Error("shutdown signal"));
    } else if (now() - firstAt >= graceMs) {
      forceExit();
    }
  };
}

/**
 * Aborts `controller` on the first shutdown signal and calls `forceExit` on a second one that
 * comes at least `graceMs` ({@linkcode SECOND_SIGNAL_GRACE_MS}) later; sooner ones are ignored.
 * Returns a disposable that removes the listeners, unless a signal came: then they stay until
 * the process exits (they do not keep it alive), so that the copy `deno task` forwards of the
 * same Ctrl+C, arriving late on a busy machine after a quick stop, is still ignored instead of
 * killing the process while it prints its summary (seen: `deno task serve` exiting by SIGINT).
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * using _signals = abortOnShutdownSignals(controller, () => Deno.exit(130));
 * ```
 */
export function abortOnShutdownSignals(
  controller: AbortController,
  forceExit: () => void,
  options: ShutdownSignalOptions = {},
): Disposable {
  let signalled = false;
  const onSignal = shutdownSignalHandler(controller, forceExit, options);
  const handler = () => {
    signalled = true;
    onSignal();
  };
  for (const signal of SHUTDOWN_SIGNALS) Deno.addSignalListener(signal, handler);
  return {
    [Symbol.dispose]() {
      if (signalled) return;
      for (const signal of SHUTDOWN_SIGNALS) Deno.removeSignalListener(signal, handler);
    },
  };
}
