/**
 * EventBus: fans records out to sinks. A sink that throws or rejects never stops the others.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import type { PatternRecord } from "../contract/pattern_record.ts";
import type { Sink } from "../sinks/sink.ts";
import { errorMessage } from "../io/error_message.ts";

/** Per-sink failure counters kept by the bus. */
export interface SinkFailureCount {
  /** The sink's name. */
  readonly sink: string;
  /** Calls to the sink that threw or rejected. */
  readonly errors: number;
}

/**
 * Fans each record out to every sink. Errors of one sink are caught, counted per sink and
 * logged once per episode (the first error after a success); the other sinks still get the
 * record.
 *
 * @example
 * ```ts
 * import { EventBus } from "./event_bus.ts";
 * import type { Sink } from "../sinks/sink.ts";
 * import type { PatternRecord } from "../contract/pattern_record.ts";
 * import type { Logger } from "../log/logging.ts";
 * declare const sink: Sink;
 * declare const logger: Logger;
 * declare const record: PatternRecord;
 * await using bus = new EventBus([sink], logger);
 * await bus.dispatch(record);
 * ```
 */
export class EventBus implements AsyncDisposable {
  readonly #sinks: Sink[];
  readonly #logger: Logger;
  readonly #errors = new Map<Sink, number>();
  readonly #failing = new Set<Sink>();
  #closed = false;

  /** Creates a bus over `sinks`, logging sink errors to `logger`. */
  constructor(sinks: readonly Sink[], logger: Logger) {
    this.#sinks = [...sinks];
    this.#logger = logger;
  }

  /** The sinks this bus feeds, in order. */
  get sinks(): readonly Sink[] {
    return this.#sinks;
  }

  /** Adds a sink; records dispatched from now on reach it. */
  add(sink: Sink): void {
    this.#sinks.push(sink);
  }

  /**
   * Sends `record` to every sink. Returns a promise only when some sink asks to wait
   * (backpressure) or is asynchronous; it never rejects.
   */
  dispatch(record: PatternRecord): void | Promise<void> {
    if (this.#closed) throw new Error("EventBus is closed: expected dispatch() before close()");
    let waits: Promise<void>[] | undefined;
    for (const sink of this.#sinks) {
      try {
        const result = sink.write(record);
        if (result !== undefined) {
          (waits ??= []).push(
            result.then(() => this.#succeeded(sink), (e) => this.#failed(sink, "write", e)),
          );
        } else if (this.#failing.size > 0) {
          this.#succeeded(sink);
        }
      } catch (error) {
        this.#failed(sink, "write", error);
      }
    }
    if (waits === undefined) return;
    return waits.length === 1 ? waits[0] : Promise.all(waits).then(() => {});
  }

  /** Flushes every sink; a failing sink is logged and counted, the others still flush. */
  async flush(): Promise<void> {
    await this.#everySink("flush");
  }

  /** Closes every sink (each flushes first). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#everySink("close");
  }

  /** Same as {@linkcode EventBus.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** How often each sink threw or rejected. */
  failureCounts(): SinkFailureCount[] {
    return this.#sinks.map((sink) => ({ sink: sink.name, errors: this.#errors.get(sink) ?? 0 }));
  }

  async #everySink(method: "flush" | "close"): Promise<void> {
    await Promise.all(this.#sinks.map(async (sink) => {
      try {
        await sink[method]();
      } catch (error) {
        this.#failed(sink, method, error);
      }
    }));
  }

  #succeeded(sink: Sink): void {
    if (this.#failing.delete(sink)) {
      this.#logger.info("Sink {sink} recovered", { sink: sink.name });
    }
  }

  #failed(sink: Sink, operation: string, error: unknown): void {
    this.#errors.set(sink, (this.#errors.get(sink) ?? 0) + 1);
    if (this.#failing.has(sink)) return;
    this.#failing.add(sink);
    this.#logger.error("Sink {sink} failed on {operation}: {error}", {
      sink: sink.name,
      operation,
      error: errorMessage(error),
    });
  }
}
