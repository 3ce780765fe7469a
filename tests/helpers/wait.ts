/**
 * Waiting in tests for something a real process or server does: polled, with a generous bound
 * (a loaded machine is slow), never a race against a tight clock.
 *
 * @module
 */

/** Polls `check` every 20 ms until it holds; fails naming `what` after `ms` (2 min). */
export async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  ms = 120_000,
): Promise<void> {
  const until = Date.now() + ms;
  while (!await check()) {
    if (Date.now() > until) throw new Error(`still waiting for ${what} after ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
