/**
 * The data behind the HTML report, collected in one streaming pass over record files, snapshot
 * files or market archives (snapshots go through a real Observer, so blocks are counted exactly
 * as a recording would count them; nothing is written).
 *
 * @module
 */

import { recordSnapshotLines } from "../app/record_snapshots.ts";
import { wireObserver } from "../app/pipeline.ts";
import { RecordReader } from "../records/record_reader.ts";
import { type InputFormat, openInput, snapshotsOf } from "../sources/snapshot_inputs.ts";
import { ReportCollector } from "./report_collector.ts";

/** One chart's price series. */
export interface ReportSeries {
  /** The charted symbol. */
  readonly symbol: string;
  /** Records of this symbol. */
  readonly count: number;
  /** Epoch seconds. */
  readonly t: number[];
  /** Price at each time in `t`. */
  readonly price: number[];
}

/** Everything the report page shows. */
export interface ReportData {
  /** Page title, naming the input file or the number of files. */
  readonly title: string;
  /** The input paths, as given. */
  readonly inputs: string[];
  /** Rows of the summary table. */
  readonly summary: [string, string][];
  /** One price chart per charted symbol. */
  readonly prices: ReportSeries[];
  /** Records per minute: minute starts (epoch seconds, ascending) and their counts. */
  readonly perMinute: { t: number[]; count: number[] };
  /** Blocked, rejected and flagged counts, one bar each. */
  readonly problems: { label: string; count: number }[];
}

/** Options of {@linkcode collectReportData}. */
export interface ReportDataOptions {
  /** Symbols to chart; default: the 4 with the most records. */
  readonly symbols?: readonly string[];
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
  /** Points per price chart. Default 2000. */
  readonly maxPoints?: number;
}

/** How many symbols are charted when none are chosen. */
export const DEFAULT_SYMBOL_COUNT = 4;

/**
 * Reads every input and returns the report data.
 *
 * @example
 * ```ts
 * const data = await collectReportData(["data/observer/observer.jsonl"], { symbols: ["005930"] });
 * ```
 */
export async function collectReportData(
  paths: readonly string[],
  options: ReportDataOptions = {},
): Promise<ReportData> {
  const collector = new ReportCollector({ maxPoints: options.maxPoints });
  const { observer, close } = wireObserver([collector], { generatedAt: "snapshot" });
  let badLines = 0;
  let tornTails = 0;
  for (const path of paths) {
    using file = await Deno.open(path);
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
  await close();
  const counters = observer.counters;
  const all = [...collector.series.values()].sort((a, b) =>
    b.count - a.count || (a.symbol < b.symbol ? -1 : 1)
  );
  const chosen = options.symbols !== undefined && options.symbols.length > 0
    ? options.symbols.map((s) =>
      collector.series.get(s) ?? { symbol: s, count: 0, t: [], price: [], stride: 1, seen: 0 }
    )
    : all.slice(0, DEFAULT_SYMBOL_COUNT);
  const minutes = [...collector.perMinute.entries()].sort((a, b) => a[0] - b[0]);
  const iso = (ms: number) => Number.isFinite(ms) ? new Date(ms).toISOString() : "-";
  const problems = [
    { label: "blocked by validation", count: counters.blockedByValidation },
    { label: "blocked by guard", count: counters.blockedByGuard },
    { label: "guard BLOCK in records", count: collector.guardActions.BLOCK ?? 0 },
    { label: "bad lines", count: badLines },
    { label: "torn last lines", count: tornTails },
    ...Object.entries(collector.qualityFlags).sort().map(([flag, count]) => ({
      label: `flag ${flag}`,
      count,
    })),
  ];
  return {
    title: `QTS Observer report — ${paths.length === 1 ? paths[0] : `${paths.length} files`}`,
    inputs: [...paths],
    summary: [
      ["records", String(collector.records)],
      ["symbols", String(collector.series.size)],
      ["first event", iso(collector.firstEventMs)],
      ["last event", iso(collector.lastEventMs)],
      ["blocked", String(counters.blockedByValidation + counters.blockedByGuard)],
      ["bad lines", String(badLines)],
      ["charted symbols", chosen.map((s) => `${s.symbol} (${s.count})`).join(", ") || "-"],
    ],
    prices: chosen.map((s) => ({ symbol: s.symbol, count: s.count, t: s.t, price: s.price })),
    perMinute: { t: minutes.map(([t]) => t), count: minutes.map(([, n]) => n) },
    problems,
  };
}
