/**
 * Comment lines (`: ping`) sent to every stream subscriber at an interval while any is connected:
 * they keep idle connections open through proxies, and a write to a client that vanished fails,
 * so the service lets go of it.
 *
 * @module
 */

/** How often a heartbeat goes out by default, in ms. */
export const HEARTBEAT_MS = 15_000;

const PING = new TextEncoder().encode(": ping\n\n");

/** A heartbeat that runs only while there are subscribers. */
export class StreamHeartbeat {
  readonly #everyMs: number;
  readonly #subscribers: () => Iterable<ReadableStreamDefaultController<Uint8Array>>;
  #timer: ReturnType<typeof setInterval> | undefined;

  /**
   * Sends to `subscribers()` every `everyMs`.
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
  ) {
    this.#everyMs = everyMs;
    this.#subscribers = subscribers;
  }

  /** Starts when there are `count` > 0 subscribers, stops at 0. */
  update(count: number): void {
    if (count > 0 && this.#timer === undefined) {
      this.#timer = setInterval(() => this.#beat(), this.#everyMs);
    } else if (count === 0) this.stop();
  }

  /** True while the interval runs. */
  get running(): boolean {
    return this.#timer !== undefined;
  }

  /** Stops it. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
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
