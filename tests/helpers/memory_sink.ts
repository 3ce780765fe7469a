/**
 * A sink that keeps records in memory, optionally failing, for EventBus and Observer tests.
 * (The file sink is tested with real files; this one stands where a second sink would.)
 *
 * @module
 */

import type { Sink, SinkStats } from "../../src/sinks/sink.ts";
import type { PatternRecord } from "../../src/contract/pattern_record.ts";

/** A recording sink; set `fail` to make its next calls throw (sync) or reject (async). */
export class MemorySink implements Sink {
  readonly records: PatternRecord[] = [];
  fail: "none" | "throw" | "reject" = "none";
  flushes = 0;
  closes = 0;

  constructor(readonly name: string, readonly async = false) {}

  write(record: PatternRecord): void | Promise<void> {
    if (this.fail === "throw") throw new Error(`${this.name} exploded`);
    if (this.fail === "reject") return Promise.reject(new Error(`${this.name} rejected`));
    this.records.push(record);
    return this.async ? Promise.resolve() : undefined;
  }

  flush(): Promise<void> {
    this.flushes++;
    return this.fail === "none" ? Promise.resolve() : Promise.reject(new Error("flush failed"));
  }

  close(): Promise<void> {
    this.closes++;
    return Promise.resolve();
  }

  stats(): SinkStats {
    return { written: this.records.length, dropped: 0, failed: 0 };
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
