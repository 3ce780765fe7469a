/**
 * The data behind the HTML report, collected in one streaming pass over record files, snapshot
 * files or market archives (snapshots go through a real Observer, so blocks are counted exactly
 * as a recording would count them; nothing is written).
 *
 * @module
 */

import { recordSnapshotLines } from "../sources/record_snapshots.ts";
import { wireObserver } from "../app/pipeline.ts";
import type { Observer } from "../observer/observer.ts";
import {
  inputName,
  openRecordInput,
  type RecordInput,
  RecordReader,
} from "../records/record_reader.ts";
import { type InputFormat, openInput, snapshotsOf } from "../sources/snapshot_inputs.ts";
import { type Bar, INTERVAL_LADDER, ReportCollector, type SymbolBars } from "./report_collector.ts";

/** One charted symbol's bars, ascending by time; `null` where a bar has no price or volume. */
export interface CandleSeries {
  /** The charted symbol. */
  readonly symbol: string;
  /** Records of this symbol. */
  readonly count: number;
  /** Records with a numeric price and a valid event time (what the candles are made of). */
  readonly priced: number;
  /** Bar start times, epoch seconds, ascending. */
  readonly t: number[];
  /** Price of the bar's earliest priced record. */
  readonly open: (number | null)[];
  /** Highest price in the bar. */
  readonly high: (number | null)[];
  /** Lowest price in the bar. */
  readonly low: (number | null)[];
  /** Price of the bar's latest priced record. */
  readonly close: (number | null)[];
  /** Volume traded in the bar (see `volumeKind`). */
  readonly volume: (number | null)[];
  /**
   * `sum`: the bar's `inputs.volume` added up (volume per record); `cumulative`: the rise of a
   * running (day) total over the bar, for inputs whose volume never falls within a UTC day (such
   * as KIS's accumulated volume).
   */
  readonly volumeKind: "sum" | "cumulative";
}

/** When one symbol was recorded, and its longest silence. */
export interface Coverage {
  /** The symbol. */
  readonly symbol: string;
  /** Its records. */
  readonly count: number;
  /** Its records with a numeric price. */
  readonly priced: number;
  /** Earliest event time (ISO), or null. */
  readonly first: string | null;
  /** Latest event time (ISO), or null. */
  readonly last: string | null;
  /** Bars with at least one record. */
  readonly bars: number;
  /** Bars from the first to the last (with records or not). */
  readonly barsSpanned: number;
  /**
   * Longest time between two consecutive records, in seconds, or null with fewer than two timed
   * records. Exact when at least one bar interval; otherwise `largestGapBelowInterval` is true.
   */
  readonly largestGapSeconds: number | null;
  /** When the largest gap began (ISO), or null. */
  readonly largestGapAt: string | null;
  /** The largest gap is shorter than one bar interval (not measured more finely). */
  readonly largestGapBelowInterval: boolean;
}

/** Everything the report page shows. */
export interface ReportData {
  /** Page title, naming the input file or the number of files. */
  readonly title: string;
  /** The input paths, as given. */
  readonly inputs: string[];
  /** Rows of the summary table. */
  readonly summary: [string, string][];
  /** The bar interval of every chart. */
  readonly interval: {
    /** Seconds. */
    readonly seconds: number;
    /** Such as `5 min`. */
    readonly label: string;
    /** The interval asked for (`--interval`), or null when chosen from the span. */
    readonly requested: number | null;
    /** Why the interval differs from the one asked for, or null. */
    readonly note: string | null;
  };
  /** Candles and volume of each charted symbol. */
  readonly candles: CandleSeries[];
  /** Records per bar (all symbols): bar starts (epoch seconds, ascending) and counts. */
  readonly rate: { t: number[]; count: number[] };
  /** Coverage of the symbols with the most records (at most `MAX_COVERAGE_ROWS`). */
  readonly coverage: Coverage[];
  /** Symbols left out of `coverage`. */
  readonly coverageOmitted: number;
  /** Blocked and rejected counts, one bar each. */
  readonly problems: { label: string; count: number }[];
  /** Records per quality flag, one bar each. */
  readonly flags: { label: string; count: number }[];
}

/** Options of {@linkcode collectReportData}. */
export interface ReportDataOptions {
  /** Symbols to chart; default: the 4 with the most priced records. */
  readonly symbols?: readonly string[];
  /**
   * Bar interval in seconds (a positive whole number); default: chosen from the span so there are
   * at most 300 bars (1 s, 5 s, 15 s, 30 s, 1 min, 5 min, 15 min, 30 min, 1 h, 4 h, 1 day, 1 week…).
   */
  readonly interval?: number;
  /** How to read the inputs. Default `auto` (decided per file by its first line). */
  readonly format?: InputFormat;
  /** `meta.mode` for snapshots made from KIS archives. */
  readonly mode?: string;
  /** Stops reading. */
  readonly signal?: AbortSignal;
  /** Called with the byte count of every chunk read (progress bars). */
  readonly onBytes?: (bytes: number) => void;
  /** Longest line read, in bytes. Default `DEFAULT_MAX_LINE_BYTES`. */
  readonly maxLineBytes?: number;
  /** Bars one symbol may hold while reading before all are coarsened (memory bound). */
  readonly maxBarsPerSymbol?: number;
}

/** Most bars an interval chosen from the span gives. */
export const MAX_AUTO_BARS = 300;

/** Most symbols listed in the coverage table. */
export const MAX_COVERAGE_ROWS = 200;

/** How many symbols are charted when none are chosen (those with the most priced records). */
export const DEFAULT_SYMBOL_COUNT = 4;

/**
 * Reads every input into `collector`: records straight in, snapshots through `observer` (wired
 * to the collector); returns the bad lines and torn last lines seen.
 */
async function collectInputs(
  collector: ReportCollector,
  observer: Observer,
  paths: readonly RecordInput[],
  options: ReportDataOptions,
): Promise<{ badLines: number; tornTails: number }> {
  let badLines = 0;
  let tornTails = 0;
  for (const input of paths) {
    const path = inputName(input);
    using file = await openRecordInput(input);
    const { format, lines } = await openInput(file.readable, {
      format: options.format,
      signal: options.signal,
      onBytes: options.onBytes,
      maxLineBytes: options.maxLineBytes,
    });
    if (format === "records") {
      const reader = new RecordReader(path, lines, { mode: "lenient" });
      for await (const { record } of reader) collector.add(record);
      badLines += reader.stats.badLines;
      if (reader.stats.tornTail !== undefined) tornTails++;
    } else {
      const inputs = snapshotsOf(path, format, lines, { mode: options.mode });
      badLines += (await recordSnapshotLines(observer, inputs, { signal: options.signal }))
        .rejected;
    }
  }
  return { badLines, tornTails };
}

/**
 * Reads every input and returns the report data.
 *
 * @example
 * ```ts
 * const data = await collectReportData(["data/observer/observer.jsonl"], { symbols: ["005930"] });
 * ```
 */
export async function collectReportData(
  paths: readonly RecordInput[],
  options: ReportDataOptions = {},
): Promise<ReportData> {
  const collector = new ReportCollector({
    interval: options.interval,
    maxBarsPerSymbol: options.maxBarsPerSymbol,
  });
  const { observer, close } = wireObserver([collector], { generatedAt: "snapshot" });
  const { badLines, tornTails } = await collectInputs(collector, observer, paths, options);
  await close();
  const counters = observer.counters;
  const read = collector.interval;
  if (options.interval === undefined) {
    const span = (collector.lastEventMs - collector.firstEventMs) / 1000;
    collector.coarsen(Math.max(read, Number.isFinite(span) ? intervalForSpan(span) : 1));
  }
  const interval = collector.interval;
  const bySize = [...collector.symbols.values()].sort((a, b) =>
    b.count - a.count || (a.symbol < b.symbol ? -1 : 1)
  );
  const chosen = options.symbols !== undefined && options.symbols.length > 0
    ? options.symbols.map((s) =>
      collector.symbols.get(s) ?? { symbol: s, count: 0, priced: 0, bars: new Map() }
    )
    : [...bySize].filter((s) => s.priced > 0).sort((a, b) =>
      b.priced - a.priced || b.count - a.count || (a.symbol < b.symbol ? -1 : 1)
    ).slice(0, DEFAULT_SYMBOL_COUNT);
  const rate = [...collector.rate.entries()].sort((a, b) => a[0] - b[0]);
  const span = collector.lastEventMs - collector.firstEventMs;
  const problems = [
    { label: "blocked by validation", count: counters.blockedByValidation },
    { label: "blocked by guard", count: counters.blockedByGuard },
    { label: "guard BLOCK in records", count: collector.guardActions.BLOCK ?? 0 },
    { label: "bad lines", count: badLines },
    { label: "torn last lines", count: tornTails },
  ];
  const flags = Object.entries(collector.qualityFlags).sort().map(([label, count]) => ({
    label,
    count,
  }));
  const note = options.interval !== undefined && interval !== options.interval
    ? `${durationLabel(options.interval)} asked for; ${durationLabel(interval)} used to keep ` +
      `the bars within the memory budget`
    : null;
  return {
    title: `QTS Observer report — ${
      paths.length === 1 ? inputName(paths[0]) : `${paths.length} files`
    }`,
    inputs: paths.map(inputName),
    summary: [
      ["records", String(collector.records)],
      ["symbols", String(collector.symbols.size)],
      ["first event", iso(collector.firstEventMs) ?? "-"],
      ["last event", iso(collector.lastEventMs) ?? "-"],
      ["span", Number.isFinite(span) ? durationLabel(span / 1000) : "-"],
      [
        "bar interval",
        durationLabel(interval) + (options.interval === undefined ? " (from the span)" : ""),
      ],
      ["blocked", String(counters.blockedByValidation + counters.blockedByGuard)],
      ["bad lines", String(badLines)],
      ["charted symbols", chosen.map((s) => `${s.symbol} (${s.count})`).join(", ") || "-"],
    ],
    interval: {
      seconds: interval,
      label: durationLabel(interval),
      requested: options.interval ?? null,
      note,
    },
    candles: chosen.map((s) => candleSeries(s, interval)),
    rate: { t: rate.map(([key]) => key * interval), count: rate.map(([, n]) => n) },
    coverage: bySize.slice(0, MAX_COVERAGE_ROWS).map((s) => coverageOf(s, interval)),
    coverageOmitted: Math.max(0, bySize.length - MAX_COVERAGE_ROWS),
    problems,
    flags,
  };
}

/**
 * The bar interval for a span of `seconds`: the shortest step of `INTERVAL_LADDER` (doubled past
 * its end) that gives at most {@linkcode MAX_AUTO_BARS} bars.
 *
 * @example
 * ```ts
 * intervalForSpan(6.5 * 3600); // => 300 (78 bars of 5 min)
 * ```
 */
export function intervalForSpan(seconds: number): number {
  const fits = (step: number) => Math.floor(seconds / step) + 1 <= MAX_AUTO_BARS;
  const step = INTERVAL_LADDER.find(fits);
  if (step !== undefined) return step;
  let doubled = INTERVAL_LADDER[INTERVAL_LADDER.length - 1];
  while (!fits(doubled)) doubled *= 2;
  return doubled;
}

/**
 * A duration in its largest whole unit, such as `5 min`, `90 s`, `1 day`, `2.5 h` (for spans).
 *
 * @example
 * ```ts
 * durationLabel(300); // => "5 min"
 * ```
 */
export function durationLabel(seconds: number): string {
  const units: [number, string][] = [[604_800, "week"], [86_400, "day"], [3600, "h"], [60, "min"]];
  for (const [size, name] of units) {
    if (seconds >= size && Number.isInteger(seconds / size)) {
      const n = seconds / size;
      return `${n} ${name}${name.length > 3 && n !== 1 ? "s" : ""}`;
    }
  }
  for (const [size, name] of units) {
    if (seconds >= size * 10) {
      return `${+(seconds / size).toFixed(1)} ${name}${name.length > 3 ? "s" : ""}`;
    }
  }
  return `${+seconds.toFixed(3)} s`;
}

function iso(ms: number): string | null {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

function sortedBars(symbol: SymbolBars): [number, Bar][] {
  return [...symbol.bars.entries()].sort((a, b) => a[0] - b[0]);
}

const utcDay = (ms: number) => Math.floor(ms / 86_400_000);

/**
 * True when the volumes look like a running total: at least 8 of them, never falling within a
 * UTC day (checked per bar by its first, last, smallest and largest), rising somewhere.
 */
function isCumulative(bars: readonly Bar[]): boolean {
  let samples = 0;
  let rises = false;
  let previous: Bar | undefined;
  for (const bar of bars) {
    if (bar.volumes === 0) continue;
    samples += bar.volumes;
    if (bar.volumeMin !== bar.volumeFirst || bar.volumeMax !== bar.volumeLast) return false;
    if (bar.volumeLast > bar.volumeFirst) rises = true;
    if (previous !== undefined && utcDay(previous.volumeLastMs) === utcDay(bar.volumeFirstMs)) {
      if (bar.volumeFirst < previous.volumeLast) return false;
      if (bar.volumeFirst > previous.volumeLast) rises = true;
    }
    previous = bar;
  }
  return samples >= 8 && rises;
}

function candleSeries(symbol: SymbolBars, interval: number): CandleSeries {
  const bars = sortedBars(symbol);
  const cumulative = isCumulative(bars.map(([, bar]) => bar));
  const volume: (number | null)[] = [];
  let previous: Bar | undefined;
  for (const [, bar] of bars) {
    if (bar.volumes === 0) {
      volume.push(null);
      continue;
    }
    if (!cumulative) volume.push(bar.volumeSum);
    else if (
      previous !== undefined && utcDay(previous.volumeLastMs) === utcDay(bar.volumeFirstMs)
    ) volume.push(bar.volumeLast - previous.volumeLast);
    else volume.push(bar.volumeLast - bar.volumeFirst);
    previous = bar;
  }
  const priced = (pick: (bar: Bar) => number) =>
    bars.map(([, bar]) => bar.priced > 0 ? pick(bar) : null);
  return {
    symbol: symbol.symbol,
    count: symbol.count,
    priced: symbol.priced,
    t: bars.map(([key]) => key * interval),
    open: priced((bar) => bar.open),
    high: priced((bar) => bar.high),
    low: priced((bar) => bar.low),
    close: priced((bar) => bar.close),
    volume,
    volumeKind: cumulative ? "cumulative" : "sum",
  };
}

function coverageOf(symbol: SymbolBars, interval: number): Coverage {
  const bars = sortedBars(symbol);
  let gap = -1;
  let gapAt = NaN;
  let timed = 0;
  for (let i = 0; i < bars.length; i++) {
    timed += bars[i][1].records;
    if (i === 0) continue;
    const between = bars[i][1].firstMs - bars[i - 1][1].lastMs;
    if (between > gap) [gap, gapAt] = [between, bars[i - 1][1].lastMs];
  }
  const below = timed >= 2 && gap < interval * 1000;
  return {
    symbol: symbol.symbol,
    count: symbol.count,
    priced: symbol.priced,
    first: bars.length > 0 ? iso(bars[0][1].firstMs) : null,
    last: bars.length > 0 ? iso(bars[bars.length - 1][1].lastMs) : null,
    bars: bars.length,
    barsSpanned: bars.length > 0 ? bars[bars.length - 1][0] - bars[0][0] + 1 : 0,
    largestGapSeconds: timed < 2 ? null : below ? Math.max(gap, 0) / 1000 : gap / 1000,
    largestGapAt: timed < 2 || below ? null : iso(gapAt),
    largestGapBelowInterval: below,
  };
}
