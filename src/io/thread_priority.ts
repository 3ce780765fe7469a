/**
 * The CPU priority of the calling thread. On Linux the nice value is a thread's own (`man 2
 * setpriority`, NOTES), so a worker can step back for the thread that must keep up without
 * slowing anything else; on other systems the same call would change the whole process, so it is
 * not made there.
 *
 * @module
 */

import { setPriority } from "node:os";
import { errorMessage } from "./error_message.ts";

/**
 * The nice value of a follower's worker: when the recording's thread and a follower want the same
 * core, the recording gets about nine times the follower's share (the kernel's weights for nice 0
 * and 10); an idle core is the follower's whole. Measured: a live recording with a PostgreSQL
 * follower on two cores (row g2) 7 % faster, in 6 of 8 alternating pairs.
 */
export const FOLLOWER_NICE = 10;

/**
 * Raises the calling thread's nice value to `nice` (lowers its priority; any user may). Returns
 * undefined when done, else why not (not Linux; no `--allow-sys=setPriority`).
 *
 * @example
 * ```ts
 * import { lowerThreadPriority } from "./thread_priority.ts";
 * const why = lowerThreadPriority(10); // call it on the thread to lower, e.g. in a worker
 * if (why !== undefined) console.log(`at normal priority: ${why}`);
 * ```
 */
export function lowerThreadPriority(nice: number): string | undefined {
  if (Deno.build.os !== "linux") return `only on Linux (here: ${Deno.build.os})`;
  try {
    setPriority(0, nice); // 0: the calling thread
    return undefined;
  } catch (error) {
    return errorMessage(error);
  }
}
