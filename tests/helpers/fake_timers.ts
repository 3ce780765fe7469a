/**
 * Timers a test drives by hand, in the shape the batching queue and the stream heartbeat take
 * ({@linkcode QueueTimers}): nothing fires until {@linkcode FakeTimers.advance}.
 *
 * @module
 */

import type { QueueTimers } from "../../src/sinks/batching_queue.ts";

/** One-shot timers on a clock that moves only when told to. */
export class FakeTimers implements QueueTimers {
  /** The fake clock, in ms. */
  now = 0;
  #next = 1;
  readonly #due = new Map<number, { at: number; fn: () => void }>();

  /** Schedules `fn` at `now + ms`. */
  set(fn: () => void, ms: number): number {
    const handle = this.#next++;
    this.#due.set(handle, { at: this.now + ms, fn });
    return handle;
  }

  /** Cancels a timer from {@linkcode FakeTimers.set}. */
  clear(handle: unknown): void {
    this.#due.delete(handle as number);
  }

  /**
   * Moves the clock forward by `ms`, firing what comes due in order of due time, a timer set by
   * one that fires included when it too is due by then.
   */
  advance(ms: number): void {
    const until = this.now + ms;
    while (true) {
      let first: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.#due) {
        if (entry[1].at <= until && (first === undefined || entry[1].at < first[1].at)) {
          first = entry;
        }
      }
      if (first === undefined) break;
      this.#due.delete(first[0]);
      this.now = first[1].at;
      first[1].fn();
    }
    this.now = until;
  }

  /** Timers set and not yet fired or cleared. */
  get pending(): number {
    return this.#due.size;
  }
}
