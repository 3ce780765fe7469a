/**
 * Inspect: what a set of record files holds, gathered in one streaming pass. A dead-letter file
 * (`*.rejected.jsonl`, recognised by its first line) is read as such: its entries are counted by
 * kind and reason, not as bad lines.
 *
 * @module
 */

import { DEAD_LETTER_FORMAT } from "../contract/dead_letter_entry.ts";
import { isEventMs } from "../contract/event_time.ts";
import { isPlainObject } from "../contract/json_value.ts";
import { parseInputJson } from "../contract/input_json.ts";
import { isBlankLine, readLines, type TextLine } from "../io/line_reader.ts";
import type { PatternRecord } from "../contract/pattern_record.ts";
import {
  type BadLine,
  inputName,
  openRecordInput,
  type RecordInput,
  RecordReader,
} from "./record_reader.ts";

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
  /** `dead-letter` for a dead-letter file (its first line is an entry), else `records`. */
  readonly kind: "records" | "dead-letter";
  /** Entries of a dead-letter file (0 in a record file). */
  readonly deadLetters: number;
}

/** What the dead-letter files among the inputs hold. */
export interface DeadLetterCounts {
  /** Entries in all dead-letter files. */
  readonly entries: number;
  /** Entries per `kind`: `rejected` (not a snapshot) or `blocked` (validation or the guard). */
  readonly byKind: Counts;
  /**
   * Entries per reason (an entry with several reasons counts under each); at most
   * {@linkcode MAX_REASON_KEYS} distinct reasons, the rest under `(other reasons)`.
   */
  readonly byReason: Counts;
  /** Entries per `input` (the file or `stdin` the line came from). */
  readonly byInput: Counts;
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
  /** The dead-letter files' entries (all zero when none was given). */
  readonly deadLetters: DeadLetterCounts;
}

const MAX_BAD_SAMPLES = 20;

/** Distinct reasons counted in {@linkcode DeadLetterCounts.byReason} before `(other reasons)`. */
export const MAX_REASON_KEYS = 1000;

function bump(counts: Counts, key: string | null | undefined): void {
  const k = key ?? "(none)";
  counts[k] = (counts[k] ?? 0) + 1;
}

/** The counts of {@linkcode InspectReport} one record adds to. */
type RecordCounts = Pick<
  InspectReport,
  | "bySymbol"
  | "bySource"
  | "byStage"
  | "bySession"
  | "guardActions"
  | "qualityFlags"
  | "schemaVersions"
  | "producers"
>;

/** Adds `record` to the counts. */
function countRecord(counts: RecordCounts, record: PatternRecord): void {
  const { meta, context } = record.snapshot;
  const metadata = record.metadata;
  bump(counts.bySymbol, context.symbol);
  bump(counts.bySource, context.source);
  bump(counts.byStage, context.stage);
  bump(counts.bySession, meta.session_id);
  bump(counts.guardActions, metadata.guard?.action);
  for (const flag of metadata._quality?.flags ?? []) bump(counts.qualityFlags, flag);
  bump(
    counts.schemaVersions,
    metadata._schema?.record_schema_version ?? `${metadata.schema_version} (no _schema)`,
  );
  bump(counts.producers, metadata._schema?.producer);
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
  paths: readonly RecordInput[],
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
    deadLetters: {
      entries: 0,
      byKind: newCounts(),
      byReason: newCounts(),
      byInput: newCounts(),
    },
  };
  let first = Infinity;
  let last = -Infinity;
  const onBadLine = (bad: BadLine) => {
    if (report.badLineSamples.length < MAX_BAD_SAMPLES) report.badLineSamples.push(bad);
  };
  for (const input of paths) {
    const path = inputName(input);
    using file = await openRecordInput(input);
    const lines = readLines(file.readable, {
      signal: options.signal,
      onBytes: options.onBytes,
      maxLineBytes: options.maxLineBytes,
    });
    const { kind, lines: allLines } = await fileKind(lines);
    if (kind === "dead-letter") {
      const read = await inspectDeadLetters(path, allLines, report.deadLetters, onBadLine);
      report.badLines += read.badLines;
      report.files.push({ file: path, records: 0, kind, ...read });
      continue;
    }
    const reader = new RecordReader(path, allLines, { mode: "lenient", onBadLine });
    for await (const { record } of reader) {
      const time = record.snapshot.meta.timestamp_ms;
      if (isEventMs(time)) {
        if (time < first) first = time;
        if (time > last) last = time;
      }
      countRecord(report, record);
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
      kind,
      deadLetters: 0,
    });
  }
  return {
    ...report,
    firstEvent: Number.isFinite(first) ? new Date(first).toISOString() : undefined,
    lastEvent: Number.isFinite(last) ? new Date(last).toISOString() : undefined,
  };
}

/** True when `line` is a dead-letter entry's line (JSON with the `dead_letter` marker). */
function isDeadLetterLine(line: TextLine): boolean {
  if (line.problem !== undefined) return false;
  try {
    const value = parseInputJson(line.text);
    return isPlainObject(value) && value.dead_letter === DEAD_LETTER_FORMAT;
  } catch {
    return false;
  }
}

/**
 * What a file holds, told by its first non-blank line (as replay's format detection does), and
 * all of its lines again, that first one included.
 */
async function fileKind(
  lines: AsyncGenerator<TextLine>,
): Promise<{ kind: InspectedFile["kind"]; lines: AsyncIterable<TextLine> }> {
  const seen: TextLine[] = [];
  let kind: InspectedFile["kind"] = "records";
  for (;;) {
    const next = await lines.next();
    if (next.done) break;
    seen.push(next.value);
    if (isBlankLine(next.value)) continue;
    if (isDeadLetterLine(next.value)) kind = "dead-letter";
    break;
  }
  async function* again(): AsyncGenerator<TextLine> {
    yield* seen;
    yield* lines;
  }
  return { kind, lines: again() };
}

/** A dead-letter entry's kind and reasons, or why the line is not an entry. */
function deadLetterFields(
  line: TextLine,
): { kind: string; reasons: string[]; input: string } | string {
  if (line.problem !== undefined) return line.problem;
  let value: unknown;
  try {
    value = parseInputJson(line.text);
  } catch (error) {
    return `not valid JSON: ${error instanceof Error ? error.message : error}`;
  }
  if (!isPlainObject(value) || value.dead_letter !== DEAD_LETTER_FORMAT) {
    return `not a dead-letter entry: expected "dead_letter": "${DEAD_LETTER_FORMAT}"`;
  }
  const { kind, reasons, input } = value;
  if (kind !== "rejected" && kind !== "blocked") {
    return `dead-letter entry: kind: expected "rejected" or "blocked", got ${JSON.stringify(kind)}`;
  }
  if (!Array.isArray(reasons) || !reasons.every((r) => typeof r === "string")) {
    return "dead-letter entry: reasons: expected an array of strings";
  }
  return { kind, reasons, input: typeof input === "string" ? input : "(none)" };
}

/** Counts the entries of one dead-letter file into `counts`; lines that are not entries are bad. */
async function inspectDeadLetters(
  path: string,
  lines: AsyncIterable<TextLine>,
  counts: { entries: number; byKind: Counts; byReason: Counts; byInput: Counts },
  onBadLine: (bad: BadLine) => void,
): Promise<Omit<InspectedFile, "file" | "records" | "kind">> {
  let entries = 0;
  let badLines = 0;
  let torn: BadLine | undefined;
  let reasonKeys = Object.keys(counts.byReason).length;
  for await (const line of lines) {
    if (isBlankLine(line)) continue;
    const fields = deadLetterFields(line);
    if (typeof fields === "string") {
      const bad = { file: path, line: line.number, reason: fields };
      if (!line.terminated) {
        torn = { ...bad, reason: `partial last line (no newline): ${fields}` };
      } else {
        badLines++;
        onBadLine(bad);
      }
      continue;
    }
    entries++;
    bump(counts.byKind, fields.kind);
    bump(counts.byInput, fields.input);
    for (const reason of new Set(fields.reasons)) {
      if (reason in counts.byReason) {
        bump(counts.byReason, reason);
      } else if (reasonKeys < MAX_REASON_KEYS) {
        reasonKeys++;
        bump(counts.byReason, reason);
      } else {
        bump(counts.byReason, "(other reasons)");
      }
    }
  }
  counts.entries += entries;
  return { badLines, deadLetters: entries, tornTail: torn?.reason, tornTailLine: torn?.line };
}
