/**
 * The log lines every queued sink writes about its failure episodes and about what it gave up
 * on at close, in one wording.
 *
 * @module
 */

import type { Logger } from "../log/logging.ts";
import type { BatchingQueue, BatchingQueueOptions } from "./batching_queue.ts";

/**
 * `onFailure` / `onRecovery` for a {@linkcode BatchingQueue} that log one error when an episode
 * begins and one info line when it ends. `destination` says what failed ("PostgreSQL table x");
 * `retry` how it is retried.
 *
 * @example
 * ```ts
 * import { episodeLogging } from "./queue_logging.ts";
 * import { getObserverLogger } from "../log/logging.ts";
 * const hooks = episodeLogging(getObserverLogger("sink"), "out", "stdout", "at the next flush");
 * ```
 */
export function episodeLogging(
  logger: Logger,
  sink: string,
  destination: string,
  retry: string,
): Pick<BatchingQueueOptions<unknown>, "onFailure" | "onRecovery"> {
  return {
    onFailure: (cause) =>
      logger.error(
        `{sink} cannot write to {destination}: {cause}; queued records are kept and retried ${retry}`,
        { sink, destination, cause },
      ),
    onRecovery: (cause, failedMeanwhile) =>
      logger.info("{sink} writes to {destination} succeeded again after {cause}", {
        sink,
        destination,
        cause,
        failedMeanwhile,
      }),
  };
}

/**
 * Closes `queue` (a last attempt, then giving up on what is left) and logs what was given up on.
 * Returns how many records that was.
 */
export async function closeQueueLogged<T>(
  queue: BatchingQueue<T>,
  logger: Logger,
  sink: string,
): Promise<number> {
  const lost = await queue.close();
  if (lost > 0) {
    logger.error("{sink} gave up on {lost} record(s): {cause}", {
      sink,
      lost,
      cause: queue.stats().failure,
    });
  }
  return lost;
}
