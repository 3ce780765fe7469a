/**
 * What a follower tells the rest of the program: its state, its counters, how far behind the log
 * it is, and the handle every consumer (the pipeline, the summary, `/v1/status`, `/metrics`, the
 * dashboard) holds, whether the follower runs on this thread or in a worker.
 *
 * @module
 */

import type { LogPosition } from "./log_reader.ts";

/** What a follower is doing. */
export type FollowerState =
  /** Reading a backlog and delivering it. */
  | "catching_up"
  /** At the end of the log, waiting for more. */
  | "following"
  /** The destination (or the log) failed; the same batch is retried with backoff. */
  | "failing"
  /** The log was declared complete and everything in it was delivered. */
  | "finished"
  /** Stopped before the end (the checkpoint holds where it was). */
  | "stopped";

/** How far behind the log a follower is. */
export interface FollowerLag {
  /** Bytes of the log not yet read past. */
  readonly bytes: number;
  /** Lines of the log not yet read past (undefined when too many to count quickly). */
  readonly records?: number;
  /** Event time of the log's newest record minus that of the last record delivered, in s. */
  readonly eventSeconds?: number;
  /** Seconds since the follower was last at the end of the log (0 when it is there now). */
  readonly wallSeconds: number;
}

/** A follower's counters, for the summary, the status route and the metrics. */
export interface FollowerStats {
  /** Its name. */
  readonly name: string;
  /** What it delivers to. */
  readonly destination: string;
  /** What it is doing. */
  readonly state: FollowerState;
  /** The last failure (kept until the next success). */
  readonly lastError?: string;
  /** Records delivered in this process. */
  readonly delivered: number;
  /** Records the destination refused for their content, in this process. */
  readonly refused: number;
  /** Log lines that were not records, in this process. */
  readonly skipped: number;
  /** Records the filter did not take, in this process. */
  readonly filtered: number;
  /** Records the filter took and the sampling did not keep, in this process. */
  readonly sampled: number;
  /** Records delivered over the follower's life (from its checkpoint). */
  readonly deliveredTotal: number;
  /** Where it stands (the checkpoint's position). */
  readonly position?: LogPosition;
  /** Its checkpoint file. */
  readonly checkpoint: string;
}

/** A follower's state at the end of a run, for the summary. */
export interface FollowerSummary extends FollowerStats {
  /** How far behind the log it stopped. */
  readonly lag: FollowerLag;
  /** The log it follows (its base name). */
  readonly log: string;
}

/**
 * A running follower as the program drives and watches it: `Follower` on this thread, or
 * `WorkerFollower`, its handle on the main thread while it runs in a worker.
 */
export interface RunningFollower {
  /** Its name. */
  readonly name: string;
  /** What it writes to. */
  readonly destination: string;
  /** Runs until finished (the log complete and delivered) or stopped. Never rejects. */
  run(): Promise<void>;
  /** Says the log has grown. */
  wake(): void;
  /** Says the log is complete: it ends once it has delivered all of it. */
  finish(): void;
  /** Ends the run now; the checkpoint stays at the last acknowledged batch. */
  stop(): Promise<void>;
  /** Stops, closes the destination and releases the follower's lock. */
  close(): Promise<void>;
  /** Counters and state (as last reported, for a follower in a worker). */
  stats(): FollowerStats;
  /** How far behind the log it is now; lines counted when at most `countLinesUpTo` bytes. */
  lag(countLinesUpTo?: number): Promise<FollowerLag>;
}

/** Thrown when a follower of the same log and name runs in another process. */
export class FollowerBusyError extends Error {
  /** Says who has it. */
  constructor(name: string, log: string, ownerPid: number | undefined) {
    super(
      `follower ${name} of the log ${log} is running in another process` +
        (ownerPid === undefined ? "" : ` (pid ${ownerPid})`) +
        ": one process per follower; stop it, or let it finish",
    );
    this.name = "FollowerBusyError";
  }
}
