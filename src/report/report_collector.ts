/**
 * Gathers what the HTML report shows, as a Sink (records dispatched by an Observer replaying
 * snapshots) and directly (records read from record files). Memory is bounded: price series are
 * thinned to at most `maxPoints` per symbol.
 *
 * @module
 */

import type { Sink, SinkStats } from "../sinks/sink.ts";
import { isEventMs } from "../contract/event_time.ts";
import { numericValue } from "../contract/json_value.ts";
import type { PatternRecord } from "../contract/pattern_record.ts";
import { type Counts, newCounts } from "../records/inspect.ts";

/** One symbol's price over time, thinned evenly when long. */
export interface PriceSeries {
  /** `context.symbol`, or `(none)`. */
  readonly symbol: string;
  /** Event times, epoch seconds. */
  readonly t: number[];
  /** `inputs.price` at each time in `t`. */
  readonly price: number[];
  /** Records seen for this symbol (before thinning). */
  count: number;
  /** Keep every `stride`-th price. */
  stride: number;
  /** Prices seen with a numeric price (before thinning). */
  seen: number;
}

/** Options of {@linkcode ReportCollector}. */
export interface ReportCollectorOptions {
  /** Points kept per symbol. Default 2000. */
  readonly maxPoints?: number;
}

/**
 * Collects report data: price series per symbol (`inputs.price`), records per minute, counts by
 * symbol, guard actions and quality flags, first and last event.
 *
 * @example
 * ```ts
 * import { ReportCollector } from "./report_collector.ts";
 * import type { PatternRecord } from "../contract/pattern_record.ts";
 * declare const record: PatternRecord;
 * const collector = new ReportCollector();
 * collector.add(record);
 * ```
 */
export class ReportCollector implements Sink {
  /** Sink name. */
  readonly name = "report";
  /** Price series by symbol (`(none)` for records without one). */
  readonly series = new Map<string, PriceSeries>();
  /** Records per minute: minute start in epoch seconds → count. */
  readonly perMinute = new Map<number, number>();
  /** Records per `metadata.guard.action`. */
  readonly guardActions: Counts = newCounts();
  /** Records per `metadata._quality` flag. */
  readonly qualityFlags: Counts = newCounts();
  /** Records added. */
  records = 0;
  /** Earliest valid event time seen, epoch ms; `Infinity` before any. */
  firstEventMs: number = Infinity;
  /** Latest valid event time seen, epoch ms; `-Infinity` before any. */
  lastEventMs: number = -Infinity;
  readonly #maxPoints: number;

  /** An empty collector. */
  constructor(options: ReportCollectorOptions = {}) {
    this.#maxPoints = options.maxPoints ?? 2000;
  }

  /** Adds one record. */
  add(record: PatternRecord): void {
    this.records++;
    const { meta, context, observation } = record.snapshot;
    const ms = meta.timestamp_ms;
    if (isEventMs(ms)) {
      if (ms < this.firstEventMs) this.firstEventMs = ms;
      if (ms > this.lastEventMs) this.lastEventMs = ms;
      const minute = Math.floor(ms / 60_000) * 60;
      this.perMinute.set(minute, (this.perMinute.get(minute) ?? 0) + 1);
    }
    const action = record.metadata.guard?.action ?? "(none)";
    this.guardActions[action] = (this.guardActions[action] ?? 0) + 1;
    for (const flag of record.metadata._quality?.flags ?? []) {
      this.qualityFlags[flag] = (this.qualityFlags[flag] ?? 0) + 1;
    }
    const symbol = context.symbol ?? "(none)";
    let series = this.series.get(symbol);
    if (series === undefined) {
      series = { symbol, t: [], price: [], count: 0, stride: 1, seen: 0 };
      this.series.set(symbol, series);
    }
    series.count++;
    const price = numericValue(observation.inputs?.price);
    if (price === undefined || !Number.isFinite(price) || !isEventMs(ms)) return;
    if (series.seen++ % series.stride !== 0) return;
    series.t.push(ms / 1000);
    series.price.push(price);
    if (series.t.length > this.#maxPoints) thin(series);
  }

  /** Sink interface: same as {@linkcode add}. */
  write(record: PatternRecord): void {
    this.add(record);
  }

  /** Nothing is buffered. */
  flush(): Promise<void> {
    return Promise.resolve();
  }

  /** Nothing to release. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  /** Everything collected counts as written. */
  stats(): SinkStats {
    return { written: this.records, dropped: 0, failed: 0 };
  }

  /** Same as {@linkcode close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Keeps every other point and doubles the stride for what comes next. */
function thin(series: PriceSeries): void {
  let j = 0;
  for (let i = 0; i < series.t.length; i += 2) {
    series.t[j] = series.t[i];
    series.price[j] = series.price[i];
    j++;
  }
  series.t.length = j;
  series.price.length = j;
  series.stride *= 2;
}
