/**
 * Shutdown signals for the entry scripts: the first SIGINT/SIGTERM asks for a clean stop, a
 * second one exits at once.
 *
 * @module
 */

/** The signals that stop a run cleanly. */
export const SHUTDOWN_SIGNALS: readonly Deno.Signal[] = ["SIGINT", "SIGTERM"];

/** Exit code after a second signal forced the process down (128 + SIGINT). */
export const FORCED_EXIT_CODE = 130;

/**
 * Aborts `controller` on the first shutdown signal and calls `forceExit` on the second.
 * Returns a disposable that removes the listeners.
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
): Disposable {
  const handler = () => {
    if (controller.signal.aborted) forceExit();
    else controller.abort(new Error("shutdown signal"));
  };
  for (const signal of SHUTDOWN_SIGNALS) Deno.addSignalListener(signal, handler);
  return {
    [Symbol.dispose]() {
      for (const signal of SHUTDOWN_SIGNALS) Deno.removeSignalListener(signal, handler);
    },
  };
}
