/**
 * Comment lines (`: ping`) sent to every stream subscriber at an interval while any is connected:
 * they keep idle connections open through proxies, and a write to a client that vanished fails,
 * so the service lets go of it.
 *
 * @module
 */

import type { QueueTimers } from "../sinks/batching_queue.ts";

/** How often a heartbeat goes out by default, in ms. */
export const HEARTBEAT_MS = 15_000;

const PING = new TextEncoder().encode(": ping\n\n");

/** The global timers, as the heartbeat has always used (referenced, unlike the queue's). */
const GLOBAL_TIMERS: QueueTimers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** A heartbeat that runs only while there are subscribers. */
export class StreamHeartbeat {
  readonly #everyMs: number;
  readonly #subscribers: () => Iterable<ReadableStreamDefaultController<Uint8Array>>;
  readonly #timers: QueueTimers;
  /** The pending one-shot timer while running (re-armed after each beat). */
  #timer: unknown;
  #running = false;

  /**
   * Sends to `subscribers()` every `everyMs`, timed by `timers` (one-shot timers, re-armed after
   * each beat, so a test can drive them by hand). Default: the global `setTimeout`.
   *
   * @example
   * ```ts
   * import { StreamHeartbeat } from "./stream_heartbeat.ts";
   * const controllers = new Set<ReadableStreamDefaultController<Uint8Array>>();
   * const heartbeat = new StreamHeartbeat(15_000, () => controllers);
   * heartbeat.update(controllers.size);
   * ```
   */
  constructor(
    everyMs: number,
    subscribers: () => Iterable<ReadableStreamDefaultController<Uint8Array>>,
    timers: QueueTimers = GLOBAL_TIMERS,
  ) {
    this.#everyMs = everyMs;
    this.#subscribers = subscribers;
    this.#timers = timers;
  }

  /** Starts when there are `count` > 0 subscribers, stops at 0. */
  update(count: number): void {
    if (count > 0 && !this.#running) {
      this.#running = true;
      this.#arm();
    } else if (count === 0) this.stop();
  }

  /** True while the interval runs. */
  get running(): boolean {
    return this.#running;
  }

  /** Stops it. */
  stop(): void {
    if (!this.#running) return;
    this.#running = false;
    this.#timers.clear(this.#timer);
    this.#timer = undefined;
  }

  #arm(): void {
    this.#timer = this.#timers.set(() => {
      this.#timer = undefined;
      this.#beat();
      // Not when a stop, or a stop and a start, came meanwhile (that start armed its own).
      if (this.#running && this.#timer === undefined) this.#arm();
    }, this.#everyMs);
  }

  #beat(): void {
    for (const controller of this.#subscribers()) {
      if ((controller.desiredSize ?? 0) <= 0) continue; // behind anyway: nothing to add
      try {
        controller.enqueue(PING);
      } catch {
        // closed meanwhile
      }
    }
  }
}
