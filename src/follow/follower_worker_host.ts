/**
 * The worker side of a follower in a worker: opens the follower the main thread describes (the
 * destination built by the entry module's `open`), runs it at a lower CPU priority than the
 * recording ({@linkcode FOLLOWER_NICE}, on Linux), and reports. Everything a follower
 * does — reading the log, parsing, filtering, sampling, the destination's client, checkpoint
 * writes — happens on this thread, off the recording's.
 *
 * @module
 */

import { forwardLogging } from "../log/forwarded_logging.ts";
import { getObserverLogger } from "../log/logging.ts";
import { Follower, type FollowerOptions } from "./follower.ts";
import type { LogLocation } from "./log_files.ts";
import type { FollowerReply, FollowerRequest } from "./follower_worker_messages.ts";
import { errorMessage } from "../io/error_message.ts";
import { FOLLOWER_NICE, lowerThreadPriority } from "../io/thread_priority.ts";

/** The part of a follower's options its entry module builds from the sink's description. */
export type FollowerParts = Omit<FollowerOptions, "log" | "logger" | "onChange">;

/** The worker side of `postMessage`. */
export interface FollowerWorkerScope {
  /** Set to receive the main thread's requests. */
  onmessage: ((event: MessageEvent<FollowerRequest>) => void) | null;
  /** Sends a reply. */
  postMessage(message: FollowerReply): void;
  /** Ends the worker. */
  close(): void;
}

/**
 * Serves one follower on `scope` (a worker's global scope); `open` builds its destination,
 * filter and sampling from the description the main thread sends.
 *
 * @example
 * ```ts
 * import { hostFollower, type FollowerWorkerScope } from "./follower_worker_host.ts";
 * import type { BatchDestination } from "../sinks/sink.ts";
 * declare const destination: BatchDestination;
 * hostFollower(globalThis as unknown as FollowerWorkerScope, (config) =>
 *   Promise.resolve({ name: String(config), destination }));
 * ```
 */
export function hostFollower(
  scope: FollowerWorkerScope,
  open: (config: unknown) => Promise<FollowerParts>,
): void {
  let follower: Follower | undefined;
  const post = (reply: FollowerReply) => scope.postMessage(reply);
  const report = () => {
    if (follower === undefined) return;
    post({ type: "stats", stats: follower.stats(), caughtUpAt: follower.caughtUpAt });
  };
  const start = async (config: unknown, log: LogLocation) => {
    let parts: FollowerParts | undefined;
    try {
      parts = await open(config);
      follower = await Follower.open({
        ...parts,
        log,
        logger: getObserverLogger("follow"),
        onChange: report,
      });
      post({ type: "opened", stats: follower.stats() });
    } catch (error) {
      await parts?.destination.close();
      const name = error instanceof Error ? error.name : "Error";
      post({ type: "open_failed", name, message: errorMessage(error) });
    }
  };
  const lag = async (seq: number, countLinesUpTo: number) => {
    try {
      post({ type: "lag", seq, lag: await follower!.lag(countLinesUpTo) });
    } catch (error) {
      post({ type: "lag", seq, error: errorMessage(error) });
    }
  };
  scope.onmessage = async ({ data: request }) => {
    switch (request.type) {
      case "open": {
        await forwardLogging(request.logLevel, (record) => post({ type: "log", record }));
        // The recording's thread first: a follower behind catches up when a core is free.
        const why = lowerThreadPriority(FOLLOWER_NICE);
        if (why !== undefined) {
          getObserverLogger("follow").debug("follower at normal priority: {why}", { why });
        }
        return await start(request.config, request.log);
      }
      case "run":
        await follower?.run();
        report();
        return post({ type: "ended" });
      case "wake":
        return follower?.wake();
      case "finish":
        return follower?.finish();
      case "stop":
        return await follower?.stop();
      case "lag":
        return await lag(request.seq, request.countLinesUpTo);
      case "close":
        await follower?.close();
        report();
        post({ type: "closed" });
        return scope.close();
    }
  };
}
