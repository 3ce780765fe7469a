/**
 * Gathers what the HTML report shows, as a Sink (records dispatched by an Observer replaying
 * snapshots) and directly (records read from record files). Records may arrive in any time order
 * (several files, merged consumer files): everything is kept in time buckets (bars) keyed by event
 * time, so what is drawn is sorted by time whatever the input order. Memory is bounded: when there
 * are too many bars, every bar is merged into a coarser interval (exactly: open and close keep
 * their times, high, low and volume merge).
 *
 * @module
 */

import type { Sink, SinkStats } from "../sinks/sink.ts";
import { isEventMs } from "../contract/event_time.ts";
import { numericValue } from "../contract/json_value.ts";
import type { PatternRecord } from "../contract/pattern_record.ts";
import { type Counts, newCounts } from "../records/inspect.ts";

/**
 * Bar intervals in seconds, each a whole multiple of the one before (so bars of one merge exactly
 * into bars of the next): 1 s … 1 week, then doubling.
 */
export const INTERVAL_LADDER: readonly number[] = [
  1,
  5,
  15,
  30,
  60,
  300,
  900,
  1800,
  3600,
  14_400,
  86_400,
  604_800,
];

/** The next coarser interval: the next ladder step, or twice `seconds` past it or off it. */
export function coarserInterval(seconds: number): number {
  return INTERVAL_LADDER.find((step) => step > seconds && step % seconds === 0) ?? seconds * 2;
}

/** One time bucket of one symbol. Times are epoch ms; prices and volumes as recorded. */
export interface Bar {
  /** Records in the bucket. */
  records: number;
  /** Earliest and latest event time of the bucket's records. */
  firstMs: number;
  /** Latest event time of the bucket's records. */
  lastMs: number;
  /** Records with a numeric `inputs.price`. */
  priced: number;
  /** Price of the earliest priced record, and its time. */
  open: number;
  /** Event time of `open`. */
  openMs: number;
  /** Highest price. */
  high: number;
  /** Lowest price. */
  low: number;
  /** Price of the latest priced record. */
  close: number;
  /** Event time of `close`. */
  closeMs: number;
  /** Records with a numeric `inputs.volume`. */
  volumes: number;
  /** Sum of `inputs.volume`. */
  volumeSum: number;
  /** Volume of the earliest record with one, and its time. */
  volumeFirst: number;
  /** Event time of `volumeFirst`. */
  volumeFirstMs: number;
  /** Volume of the latest record with one. */
  volumeLast: number;
  /** Event time of `volumeLast`. */
  volumeLastMs: number;
  /** Smallest volume. */
  volumeMin: number;
  /** Largest volume. */
  volumeMax: number;
}

/** One symbol: its record count and its bars (bucket index → bar). */
export interface SymbolBars {
  /** `context.symbol`, or `(none)`. */
  readonly symbol: string;
  /** Records seen for this symbol, with or without a valid event time. */
  count: number;
  /** Records with a numeric price and a valid event time. */
  priced: number;
  /** Bucket index (event seconds / interval, floored) → bar. */
  bars: Map<number, Bar>;
}

/** Options of {@linkcode ReportCollector}. */
export interface ReportCollectorOptions {
  /**
   * Bar interval in seconds to start with (a positive whole number). Default: 1 s, coarsened
   * along {@linkcode INTERVAL_LADDER} as bars pile up; when given, coarsened (doubled) only past
   * the bar budget.
   */
  readonly interval?: number;
  /** Bars one symbol may hold before all are coarsened. Default 1,000 (20,000 with `interval`). */
  readonly maxBarsPerSymbol?: number;
  /** Bars all symbols together may hold before all are coarsened. Default 100,000. */
  readonly maxBars?: number;
}

function newBar(ms: number): Bar {
  return {
    records: 0,
    firstMs: ms,
    lastMs: ms,
    priced: 0,
    open: NaN,
    openMs: Infinity,
    high: -Infinity,
    low: Infinity,
    close: NaN,
    closeMs: -Infinity,
    volumes: 0,
    volumeSum: 0,
    volumeFirst: NaN,
    volumeFirstMs: Infinity,
    volumeLast: NaN,
    volumeLastMs: -Infinity,
    volumeMin: Infinity,
    volumeMax: -Infinity,
  };
}

/** Merges `from` into `into` (same or coarser bucket); exact for every field. */
function mergeBar(into: Bar, from: Bar): void {
  into.records += from.records;
  into.firstMs = Math.min(into.firstMs, from.firstMs);
  into.lastMs = Math.max(into.lastMs, from.lastMs);
  into.priced += from.priced;
  if (from.openMs < into.openMs) [into.open, into.openMs] = [from.open, from.openMs];
  if (from.closeMs >= into.closeMs) [into.close, into.closeMs] = [from.close, from.closeMs];
  into.high = Math.max(into.high, from.high);
  into.low = Math.min(into.low, from.low);
  into.volumes += from.volumes;
  into.volumeSum += from.volumeSum;
  if (from.volumeFirstMs < into.volumeFirstMs) {
    [into.volumeFirst, into.volumeFirstMs] = [from.volumeFirst, from.volumeFirstMs];
  }
  if (from.volumeLastMs >= into.volumeLastMs) {
    [into.volumeLast, into.volumeLastMs] = [from.volumeLast, from.volumeLastMs];
  }
  into.volumeMin = Math.min(into.volumeMin, from.volumeMin);
  into.volumeMax = Math.max(into.volumeMax, from.volumeMax);
}

/**
 * Collects report data: OHLC and volume bars per symbol (`inputs.price`, `inputs.volume`),
 * records per bar interval, counts by symbol, guard actions and quality flags, first and last
 * event.
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
  /** Bars by symbol (`(none)` for records without one). */
  readonly symbols = new Map<string, SymbolBars>();
  /** Records per bucket (all symbols): bucket index → count. */
  rate = new Map<number, number>();
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
  /** Bar interval in seconds now (it only grows). */
  interval: number;
  /** The interval asked for, when one was. */
  readonly requestedInterval: number | undefined;
  readonly #maxBarsPerSymbol: number;
  readonly #maxBars: number;
  #bars = 0;

  /** An empty collector. */
  constructor(options: ReportCollectorOptions = {}) {
    const interval = options.interval;
    if (interval !== undefined && !(Number.isSafeInteger(interval) && interval > 0)) {
      throw new RangeError(
        `expected the interval as a positive whole number of seconds, got ${interval}`,
      );
    }
    this.interval = interval ?? 1;
    this.requestedInterval = interval;
    this.#maxBarsPerSymbol = options.maxBarsPerSymbol ?? (interval === undefined ? 1_000 : 20_000);
    this.#maxBars = options.maxBars ?? 100_000;
  }

  /** Adds one record. */
  add(record: PatternRecord): void {
    this.records++;
    const { meta, context, observation } = record.snapshot;
    const action = record.metadata.guard?.action ?? "(none)";
    this.guardActions[action] = (this.guardActions[action] ?? 0) + 1;
    for (const flag of record.metadata._quality?.flags ?? []) {
      this.qualityFlags[flag] = (this.qualityFlags[flag] ?? 0) + 1;
    }
    const name = context.symbol ?? "(none)";
    let symbol = this.symbols.get(name);
    if (symbol === undefined) {
      symbol = { symbol: name, count: 0, priced: 0, bars: new Map() };
      this.symbols.set(name, symbol);
    }
    symbol.count++;
    const ms = meta.timestamp_ms;
    if (!isEventMs(ms)) return;
    if (ms < this.firstEventMs) this.firstEventMs = ms;
    if (ms > this.lastEventMs) this.lastEventMs = ms;
    const key = Math.floor(ms / 1000 / this.interval);
    this.rate.set(key, (this.rate.get(key) ?? 0) + 1);
    let bar = symbol.bars.get(key);
    if (bar === undefined) {
      bar = newBar(ms);
      symbol.bars.set(key, bar);
      this.#bars++;
    }
    bar.records++;
    if (ms < bar.firstMs) bar.firstMs = ms;
    if (ms > bar.lastMs) bar.lastMs = ms;
    const price = numericValue(observation.inputs?.price);
    if (price !== undefined && Number.isFinite(price)) {
      symbol.priced++;
      bar.priced++;
      if (ms < bar.openMs) [bar.open, bar.openMs] = [price, ms];
      if (ms >= bar.closeMs) [bar.close, bar.closeMs] = [price, ms];
      if (price > bar.high) bar.high = price;
      if (price < bar.low) bar.low = price;
    }
    const volume = numericValue(observation.inputs?.volume);
    if (volume !== undefined && Number.isFinite(volume)) {
      bar.volumes++;
      bar.volumeSum += volume;
      if (ms < bar.volumeFirstMs) [bar.volumeFirst, bar.volumeFirstMs] = [volume, ms];
      if (ms >= bar.volumeLastMs) [bar.volumeLast, bar.volumeLastMs] = [volume, ms];
      if (volume < bar.volumeMin) bar.volumeMin = volume;
      if (volume > bar.volumeMax) bar.volumeMax = volume;
    }
    if (symbol.bars.size > this.#maxBarsPerSymbol || this.#bars > this.#maxBars) this.coarsen();
  }

  /**
   * Merges every bar into bars of `interval` seconds (a whole multiple of the current interval;
   * default the next coarser one: the next ladder step, or twice the interval asked for).
   */
  coarsen(
    interval: number = this.requestedInterval === undefined
      ? coarserInterval(this.interval)
      : this.interval * 2,
  ): void {
    if (interval === this.interval) return;
    if (interval % this.interval !== 0) {
      throw new RangeError(`${interval} s is not a whole multiple of ${this.interval} s`);
    }
    const factor = interval / this.interval;
    this.#bars = 0;
    for (const symbol of this.symbols.values()) {
      const merged = new Map<number, Bar>();
      for (const [key, bar] of symbol.bars) {
        const to = Math.floor(key / factor);
        const into = merged.get(to);
        if (into === undefined) merged.set(to, bar);
        else mergeBar(into, bar);
      }
      symbol.bars = merged;
      this.#bars += merged.size;
    }
    const rate = new Map<number, number>();
    for (const [key, count] of this.rate) {
      const to = Math.floor(key / factor);
      rate.set(to, (rate.get(to) ?? 0) + count);
    }
    this.rate = rate;
    this.interval = interval;
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
