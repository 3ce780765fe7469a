/**
 * A destination's failure episode: from the first failure after a success to the next success,
 * with its cause, its failed attempts (for the retry backoff) and what was given up meanwhile.
 *
 * @module
 */

/**
 * An error as one line: its code (when its message lacks it) or name, and its message.
 *
 * @example
 * ```ts
 * import { describeError } from "./failure_episode.ts";
 * describeError(new Error("disk full")); // "Error: disk full"
 * ```
 */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: string }).code;
    return code !== undefined && !error.message.includes(code)
      ? `${code}: ${error.message}`
      : `${error.name}: ${error.message}`;
  }
  return String(error);
}

/**
 * The failure state of one destination.
 *
 * @example
 * ```ts
 * import { FailureEpisode } from "./failure_episode.ts";
 * const episode = new FailureEpisode();
 * episode.fail(new Error("disk full")); // "Error: disk full": an episode began
 * episode.recover(); // { cause: "Error: disk full", failedMeanwhile: 0 }
 * ```
 */
export class FailureEpisode {
  /** The cause of the current episode; undefined while the destination works. */
  cause: string | undefined;
  /** The cause of the current episode, or of the last one. */
  last: string | undefined;
  /** Records given up on during the current episode. */
  failedMeanwhile = 0;
  /** Failed attempts in the current episode. */
  attempts = 0;

  /** A failed attempt; returns the cause when it begins an episode. */
  fail(error: unknown): string | undefined {
    this.attempts++;
    if (this.cause !== undefined) return;
    this.cause = describeError(error);
    this.last = this.cause;
    this.failedMeanwhile = 0;
    return this.cause;
  }

  /** A success ends the episode; returns its cause and what was given up meanwhile. */
  recover(): { cause: string; failedMeanwhile: number } {
    const cause = this.cause!;
    this.cause = undefined;
    this.attempts = 0;
    return { cause, failedMeanwhile: this.failedMeanwhile };
  }
}
