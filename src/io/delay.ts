/**
 * Waiting: a delay that an abort signal ends early, and the backoff with jitter that every
 * retry loop of the project uses.
 *
 * @module
 */

/**
 * Resolves after `ms`, or at once when `signal` is (or becomes) aborted. Never rejects.
 *
 * @example
 * ```ts
 * import { delay } from "./delay.ts";
 * await delay(10);
 * await delay(60_000, AbortSignal.abort()); // returns at once
 * ```
 */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Bounds of {@linkcode backoffDelayMs}. */
export interface Backoff {
  /** The first delay, in ms. Default 100. */
  readonly firstMs?: number;
  /** The longest delay, in ms. Default 5000. */
  readonly maxMs?: number;
  /** Random in [0, 1) for the jitter. Default `Math.random`. */
  readonly random?: () => number;
}

/**
 * The delay before retry number `attempt` (1, 2, ...): doubling from `firstMs` up to `maxMs`,
 * with "equal jitter" (between half and all of it), so that many clients retrying after one
 * outage do not come back at the same moment.
 *
 * @example
 * ```ts
 * import { backoffDelayMs } from "./delay.ts";
 * backoffDelayMs(1, { random: () => 0 }); // => 50
 * backoffDelayMs(10, { random: () => 0.999 }); // => 4997.5
 * ```
 */
export function backoffDelayMs(attempt: number, backoff: Backoff = {}): number {
  const first = backoff.firstMs ?? 100;
  const max = backoff.maxMs ?? 5000;
  const full = Math.min(max, first * 2 ** Math.min(Math.max(attempt, 1) - 1, 30));
  return full / 2 + (full / 2) * (backoff.random ?? Math.random)();
}
