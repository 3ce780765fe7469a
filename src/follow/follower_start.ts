/**
 * What a follower starts from: its lock (one process per follower), its checkpoint (checked
 * against the log's files as they are now), and a reader of the log at the checkpoint that warns
 * of files gone and of torn tails.
 *
 * @module
 */

import { acquireRecordLock, RecordFileBusyError, type RecordLock } from "../sinks/record_lock.ts";
import type { Logger } from "../log/logging.ts";
import {
  type Checkpoint,
  checkpointPath,
  checkpointStillValid,
  followerFileBase,
  readCheckpoint,
} from "./checkpoint.ts";
import type { LogLocation } from "./log_files.ts";
import { type LogPosition, LogReader } from "./log_reader.ts";
import { FollowerBusyError } from "./follower_types.ts";

/** A follower's lock, its checkpoint file and the checkpoint in it (undefined: none yet). */
export interface FollowerFooting {
  /** Held until the follower closes. */
  readonly lock: RecordLock;
  /** The checkpoint file. */
  readonly path: string;
  /** Where it resumes. */
  readonly checkpoint: Checkpoint | undefined;
}

/**
 * Takes the lock of follower `name` of `log` and reads its checkpoint. Throws
 * {@linkcode FollowerBusyError} or a `CheckpointError` (the lock released).
 *
 * @example
 * ```ts
 * import { followerFooting } from "./follower_start.ts";
 * import { getObserverLogger } from "../log/logging.ts";
 * const dir = await Deno.makeTempDir();
 * const { lock, checkpoint } = await followerFooting(
 *   "db", { dir, base: "observer" }, getObserverLogger("follow"),
 * );
 * checkpoint; // => undefined
 * lock.release();
 * ```
 */
export async function followerFooting(
  name: string,
  log: LogLocation,
  logger: Logger,
): Promise<FollowerFooting> {
  const path = checkpointPath(log.dir, log.base, name);
  let lock: RecordLock;
  try {
    lock = await acquireRecordLock(log.dir, followerFileBase(log.base, name), path);
  } catch (error) {
    if (error instanceof RecordFileBusyError) {
      throw new FollowerBusyError(name, log.base, error.ownerPid);
    }
    throw error;
  }
  try {
    const checkpoint = await checkpointStillValid(
      await readCheckpoint(path, log.base),
      log,
      (replaced) =>
        logger.warn(
          "Follower {follower}: {file} was replaced since its checkpoint (byte {offset}); " +
            "delivering it from its start, sampling afresh (records the destination has are " +
            "dropped by run_id)",
          { follower: name, file: replaced.file, offset: replaced.offset },
        ),
    );
    return { lock, path, checkpoint };
  } catch (error) {
    lock.release();
    throw error;
  }
}

/**
 * A reader of `log` from `from` for follower `name`, warning through `logger` of a file gone
 * and of a torn tail.
 *
 * @example
 * ```ts
 * import { followerLogReader } from "./follower_start.ts";
 * import { getObserverLogger } from "../log/logging.ts";
 * const dir = await Deno.makeTempDir();
 * using reader = followerLogReader("db", { dir, base: "observer" }, undefined, {
 *   logger: getObserverLogger("follow"),
 * });
 * ```
 */
export function followerLogReader(
  name: string,
  log: LogLocation,
  from: LogPosition | undefined,
  options: { readonly logger: Logger; readonly chunkBytes?: number },
): LogReader {
  const { logger } = options;
  return new LogReader(log, from, {
    chunkBytes: options.chunkBytes,
    onMissingFile: (missing, next) =>
      logger.warn(
        "Follower {follower}: the log file {missing} is gone (deleted by hand?); going on " +
          "with {next}: records only in it are not delivered",
        { follower: name, missing, next: next ?? "the oldest file" },
      ),
    onTornTail: (file, bytes) =>
      logger.warn(
        "Follower {follower}: {file} ends in {bytes} bytes that are not a whole line " +
          "(left by a crash); skipped",
        { follower: name, file, bytes },
      ),
  });
}
