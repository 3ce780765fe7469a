/**
 * The messages between the main thread and a follower's worker. The main thread opens the
 * follower (a sink description and the log), starts it, wakes it as the log grows, tells it the
 * log is complete, stops and closes it, and asks its lag; the worker reports its counters after
 * every change, forwards its log records, and answers.
 *
 * @module
 */

import type { ForwardedLevel, ForwardedLogRecord } from "../log/forwarded_logging.ts";
import type { LogLocation } from "./log_files.ts";
import type { FollowerLag, FollowerStats } from "./follower_types.ts";

/** Main thread → worker. */
export type FollowerRequest =
  | {
    readonly type: "open";
    /** The sink's description, in the form the worker's entry module reads. */
    readonly config: unknown;
    /** The log it follows. */
    readonly log: LogLocation;
    /** The lowest level the main thread logs (none: it logs nothing). */
    readonly logLevel?: ForwardedLevel;
  }
  | { readonly type: "run" | "wake" | "finish" | "stop" | "close" }
  | { readonly type: "lag"; readonly seq: number; readonly countLinesUpTo: number };

/** Worker → main thread. */
export type FollowerReply =
  | { readonly type: "opened"; readonly stats: FollowerStats }
  | { readonly type: "open_failed"; readonly name: string; readonly message: string }
  | {
    readonly type: "stats";
    readonly stats: FollowerStats;
    /** When it was last at the end of the log (epoch ms). */
    readonly caughtUpAt?: number;
  }
  | { readonly type: "log"; readonly record: ForwardedLogRecord }
  /** The run ended (finished or stopped); its last stats came just before. */
  | { readonly type: "ended" }
  | { readonly type: "closed" }
  | {
    readonly type: "lag";
    readonly seq: number;
    readonly lag?: FollowerLag;
    readonly error?: string;
  };
