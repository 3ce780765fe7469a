/**
 * Inspect: what a set of record files holds, gathered in one streaming pass.
 *
 * @module
 */

import { isEventMs } from "../contract/event_time.ts";
import { type BadLine, RecordReader } from "./record_reader.ts";

/** Counts by key (a null-prototype object: any key from input, `constructor` too, is data). */
export type Counts = Record<string, number>;

/**
 * An empty {@linkcode Counts}.
 *
 * @example
 * ```ts
 * import { newCounts } from "./inspect.ts";
 * const counts = newCounts();
 * counts["constructor"] ??= 0; // a key like any other
 * ```
 */
export function newCounts(): Counts {
  return Object.create(null);
}

/** Per-file part of an {@linkcode InspectReport}. */
export interface InspectedFile {
  /** The file path, as given. */
  readonly file: string;
  /** Records read from this file. */
  readonly records: number;
  /** Lines of this file that are not records (torn tail excluded). */
  readonly badLines: number;
  /** Why the last line is torn, if the file ends in a torn line. */
  readonly tornTail?: string;
  /** Line number of the torn last line, when there is one. */
  readonly tornTailLine?: number;
}

/** Everything `observer.ts inspect` reports. */
export interface InspectReport {
  /** One entry per file, in the order given. */
  readonly files: InspectedFile[];
  /** Records in all files. */
  readonly records: number;
  /** Bad lines in all files (torn tails excluded). */
  readonly badLines: number;
  /** Earliest valid `snapshot.meta.timestamp_ms`, as ISO text; absent when there is none. */
  readonly firstEvent?: string;
  /** Latest valid `snapshot.meta.timestamp_ms`, as ISO text; absent when there is none. */
  readonly lastEvent?: string;
  /** Records per `context.symbol` (`(none)` when absent or null). */
  readonly bySymbol: Counts;
  /** Records per `context.source`. */
  readonly bySource: Counts;
  /** Records per `context.stage`. */
  readonly byStage: Counts;
  /** Records per `meta.session_id`. */
  readonly bySession: Counts;
  /** `metadata.guard.action` (records that are not PASS were blocked yet written). */
  readonly guardActions: Counts;
  /** `metadata._quality.flags`, counted per flag. */
  readonly qualityFlags: Counts;
  /** `_schema.record_schema_version`, or `schema_version` for records without `_schema`. */
  readonly schemaVersions: Counts;
  /** `metadata._schema.producer` (`(none)` for records without `_schema`). */
  readonly producers: Counts;
  /** The first bad lines (at most 20), with file, line and reason. */
  readonly badLineSamples: BadLine[];
}

const MAX_BAD_SAMPLES = 20;

function bump(counts: Counts, key: string | null | undefined): void {
  const k = key ?? "(none)";
  counts[k] = (counts[k] ?? 0) + 1;
}

/** Options of {@linkcode inspectRecordFiles}. */
export interface InspectOptions {
  /** Stops reading when aborted. */
  readonly signal?: AbortSignal;
  /** Longest line read, in bytes. Default `DEFAULT_MAX_LINE_BYTES`. */
  readonly maxLineBytes?: number;
  /** Called with the byte count of every chunk read (progress bars). */
  readonly onBytes?: (bytes: number) => void;
}

/**
 * Reads every file leniently and gathers counts; memory grows only with the number of distinct
 * symbols, sessions and flags, not with the number of records.
 *
 * @example
 * ```ts
 * const report = await inspectRecordFiles(["data/observer/observer.jsonl"]);
 * report.bySymbol; // { "005930": 20, ... }
 * ```
 */
export async function inspectRecordFiles(
  paths: readonly string[],
  options: InspectOptions = {},
): Promise<InspectReport> {
  const report = {
    files: [] as InspectedFile[],
    records: 0,
    badLines: 0,
    bySymbol: newCounts(),
    bySource: newCounts(),
    byStage: newCounts(),
    bySession: newCounts(),
    guardActions: newCounts(),
    qualityFlags: newCounts(),
    schemaVersions: newCounts(),
    producers: newCounts(),
    badLineSamples: [] as BadLine[],
  };
  let first = Infinity;
  let last = -Infinity;
  for (const path of paths) {
    using file = await Deno.open(path);
    const reader = new RecordReader(path, file.readable, {
      mode: "lenient",
      signal: options.signal,
      onBytes: options.onBytes,
      maxLineBytes: options.maxLineBytes,
      onBadLine: (bad) => {
        if (report.badLineSamples.length < MAX_BAD_SAMPLES) report.badLineSamples.push(bad);
      },
    });
    for await (const { record } of reader) {
      const { meta, context } = record.snapshot;
      const metadata = record.metadata;
      if (isEventMs(meta.timestamp_ms)) {
        if (meta.timestamp_ms < first) first = meta.timestamp_ms;
        if (meta.timestamp_ms > last) last = meta.timestamp_ms;
      }
      bump(report.bySymbol, context.symbol);
      bump(report.bySource, context.source);
      bump(report.byStage, context.stage);
      bump(report.bySession, meta.session_id);
      bump(report.guardActions, metadata.guard?.action);
      for (const flag of metadata._quality?.flags ?? []) bump(report.qualityFlags, flag);
      bump(
        report.schemaVersions,
        metadata._schema?.record_schema_version ?? `${metadata.schema_version} (no _schema)`,
      );
      bump(report.producers, metadata._schema?.producer);
    }
    const { records, badLines, tornTail } = reader.stats;
    report.records += records;
    report.badLines += badLines;
    report.files.push({
      file: path,
      records,
      badLines,
      tornTail: tornTail?.reason,
      tornTailLine: tornTail?.line,
    });
  }
  return {
    ...report,
    firstEvent: Number.isFinite(first) ? new Date(first).toISOString() : undefined,
    lastEvent: Number.isFinite(last) ? new Date(last).toISOString() : undefined,
  };
}
