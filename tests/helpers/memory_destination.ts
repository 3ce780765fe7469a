/**
 * A follower's destination in memory, for tests of the follower itself: it keeps what it was
 * given, drops a record it already has (by run_id, as the real destinations do), and fails on
 * demand.
 *
 * @module
 */

import type { BatchDestination, Delivery, LoggedRecord } from "../../src/sinks/sink.ts";

/** Keeps delivered run ids in order; `failing` makes `deliver` throw. */
export class MemoryDestination implements BatchDestination {
  readonly name = "memory";
  readonly description = "memory";
  /** Run ids held, in the order first delivered. */
  readonly runIds: string[] = [];
  /** Every batch's size, in records. */
  readonly batchSizes: number[] = [];
  /** Deliveries attempted (failed ones included). */
  attempts = 0;
  /** While true, every delivery throws. */
  failing = false;
  /** Fails this many more deliveries, then works. */
  failNext = 0;
  /** Called before each delivery (a test may wait there). */
  beforeDeliver: (() => Promise<void>) | undefined;
  closed = false;
  readonly #held = new Set<string>();

  async deliver(batch: readonly LoggedRecord[]): Promise<Delivery> {
    this.attempts++;
    await this.beforeDeliver?.();
    if (this.failing || this.failNext > 0) {
      this.failNext = Math.max(0, this.failNext - 1);
      throw new Error("connection refused (test)");
    }
    this.batchSizes.push(batch.length);
    for (const { record } of batch) {
      const id = record.snapshot.meta.run_id;
      if (this.#held.has(id)) continue;
      this.#held.add(id);
      this.runIds.push(id);
    }
    return { refused: 0 };
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
