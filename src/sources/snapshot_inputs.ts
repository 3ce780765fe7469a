/**
 * Snapshots from any input the Observer can replay: record files (their snapshots), snapshot
 * lines, or KIS `track_a_swing` market archives, with the format detected from the first line.
 *
 * @module
 */

import { isPlainObject } from "../contract/json_value.ts";
import { isBlankLine, readLines, type TextLine } from "../io/line_reader.ts";
import { parseInputJson } from "../contract/input_json.ts";
import { type BadLine, parseRecordLine, RecordReader } from "../records/record_reader.ts";
import { DEAD_LETTER_FORMAT, parseDeadLetterEntry } from "../contract/dead_letter_entry.ts";
import { formatFieldIssues } from "../contract/field_issue.ts";
import { kisSwingSnapshot } from "./kis_swing.ts";
import { parseSnapshotLine, rejectedLine, type SnapshotLine } from "./snapshot_lines.ts";
import { errorMessage } from "../io/error_message.ts";

/** Input formats; `auto` looks at the first non-blank line of each file. */
export const INPUT_FORMATS = ["auto", "records", "snapshots", "kis-swing", "dead-letter"] as const;

/** One of {@linkcode INPUT_FORMATS}. */
export type InputFormat = typeof INPUT_FORMATS[number];

/** Options of {@linkcode readSnapshotInputs}. */
export interface SnapshotInputOptions {
  /** How to read the lines. Default `auto` (decided by the first non-blank line). */
  readonly format?: InputFormat;
  /** `meta.mode` for snapshots made from KIS archives. */
  readonly mode?: string;
  /** Stops reading. */
  readonly signal?: AbortSignal;
  /** Called with the byte count of every chunk read (progress). */
  readonly onBytes?: (bytes: number) => void;
  /** Longest line read, in bytes; longer lines are rejected. Default `DEFAULT_MAX_LINE_BYTES`. */
  readonly maxLineBytes?: number;
  /** Called when the format was detected (auto) or given. */
  readonly onFormat?: (format: Exclude<InputFormat, "auto">) => void;
  /** Called for a torn last line of a record file (not fatal). */
  readonly onTornTail?: (bad: BadLine) => void;
}

/**
 * Guesses the format of a parsed first line: a record has `snapshot` and `metadata`, a KIS
 * archive line has `ts`, `symbol` and a `price` object, anything else is read as a snapshot.
 *
 * @example
 * ```ts
 * detectFormat({ ts: "2026-01-26T03:18:20Z", symbol: "000250", price: {} }); // => "kis-swing"
 * ```
 */
export function detectFormat(value: unknown): Exclude<InputFormat, "auto"> {
  if (!isPlainObject(value)) return "snapshots";
  if (value.dead_letter === DEAD_LETTER_FORMAT) return "dead-letter";
  if ("snapshot" in value && "metadata" in value) return "records";
  if ("ts" in value && "symbol" in value && isPlainObject(value.price)) return "kis-swing";
  return "snapshots";
}

async function* prepend<T>(first: T, rest: AsyncIterator<T> | Iterator<T>): AsyncGenerator<T> {
  yield first;
  while (true) {
    const next = await rest.next();
    if (next.done) return;
    yield next.value;
  }
}

/** An input whose format is known, with its lines from the first non-blank one on. */
export interface OpenedInput {
  /** The format given, or the one detected for `auto`. */
  readonly format: Exclude<InputFormat, "auto">;
  /** The lines, from the first non-blank one on. */
  readonly lines: AsyncIterable<TextLine>;
  /** True when the input holds only blank lines (its format is then a guess). */
  readonly empty: boolean;
}

const NO_LINES: AsyncIterable<TextLine> = { async *[Symbol.asyncIterator]() {} };

/**
 * Splits a stream into lines and settles its format: the one given, or (for `auto`) the one
 * {@linkcode detectFormat} sees in the first non-blank line. Reads the stream once.
 *
 * @example
 * ```ts
 * import { openInput } from "./snapshot_inputs.ts";
 * declare const file: Deno.FsFile;
 * const { format, lines } = await openInput(file.readable, { format: "auto" });
 * ```
 */
export async function openInput(
  stream: ReadableStream<Uint8Array>,
  options: Pick<SnapshotInputOptions, "format" | "signal" | "onBytes" | "maxLineBytes"> = {},
): Promise<OpenedInput> {
  const iterator = readLines(stream, {
    signal: options.signal,
    onBytes: options.onBytes,
    maxLineBytes: options.maxLineBytes,
  });
  return await openLines(iterator, options.format);
}

/**
 * {@linkcode openInput} for lines already split: reads up to the first non-blank line and
 * settles the format (`auto` looks at that line).
 *
 * @example
 * ```ts
 * import { openLines } from "./snapshot_inputs.ts";
 * const lines = [{ text: '{"ts": "2026-01-26T03:18:20Z", "symbol": "1", "price": {}}', number: 1, terminated: true }];
 * (await openLines(lines.values(), "auto")).format; // => "kis-swing"
 * ```
 */
export async function openLines(
  iterator: AsyncIterator<TextLine> | Iterator<TextLine>,
  given: InputFormat = "auto",
): Promise<OpenedInput> {
  let first: TextLine | undefined;
  while (true) {
    const next = await iterator.next();
    if (next.done) break;
    if (!isBlankLine(next.value)) {
      first = next.value;
      break;
    }
  }
  if (first === undefined) {
    return { format: given === "auto" ? "records" : given, lines: NO_LINES, empty: true };
  }
  let format = given;
  if (format === "auto") {
    let value: unknown;
    try {
      value = parseInputJson(first.text);
    } catch {
      value = undefined;
    }
    format = detectFormat(value);
  }
  return { format, lines: prepend(first, iterator), empty: false };
}

/**
 * Yields every line of one input as a snapshot or a rejection with its line number.
 *
 * @example
 * ```ts
 * import { readSnapshotInputs } from "./snapshot_inputs.ts";
 * import type { Observer } from "../observer/observer.ts";
 * declare const file: Deno.FsFile;
 * declare const observer: Observer;
 * for await (const item of readSnapshotInputs("archive.jsonl", file.readable)) {
 *   if (item.ok) await observer.onSnapshot(item.snapshot);
 * }
 * ```
 */
export async function* readSnapshotInputs(
  name: string,
  stream: ReadableStream<Uint8Array>,
  options: SnapshotInputOptions = {},
): AsyncGenerator<SnapshotLine> {
  const { format, lines, empty } = await openInput(stream, options);
  if (empty) return;
  options.onFormat?.(format);
  yield* snapshotsOf(name, format, lines, options);
}

/** The snapshots of an opened input's lines, per its format. */
export function snapshotsOf(
  name: string,
  format: Exclude<InputFormat, "auto">,
  lines: AsyncIterable<TextLine>,
  options: Pick<SnapshotInputOptions, "mode" | "onTornTail"> = {},
): AsyncIterable<SnapshotLine> {
  const judge = lineJudgeOf(format, options.mode);
  return judge === undefined ? snapshotsOfRecords(name, lines, options) : judgeEach(lines, judge);
}

/**
 * How one line of `format` is judged on its own, as {@linkcode snapshotsOf} judges it: a
 * snapshot, a rejection, or undefined for a blank line. Undefined for `records`, whose reader
 * judges a line by the ones around it (a torn last line). Lets a caller holding lines in an
 * array judge them in a plain loop.
 *
 * @example
 * ```ts
 * import { lineJudgeOf } from "./snapshot_inputs.ts";
 * const judge = lineJudgeOf("snapshots")!;
 * judge({ text: "[1]", number: 3, terminated: true })?.ok; // => false
 * ```
 */
export function lineJudgeOf(
  format: Exclude<InputFormat, "auto">,
  mode?: string,
): ((line: TextLine) => SnapshotLine | undefined) | undefined {
  if (format === "records") return undefined;
  if (format === "kis-swing") {
    return (line) => isBlankLine(line) ? undefined : judgeKisLine(line, mode);
  }
  if (format === "dead-letter") {
    return (line) => isBlankLine(line) ? undefined : judgeDeadLetterLine(line, mode);
  }
  return parseSnapshotLine;
}

async function* judgeEach(
  lines: AsyncIterable<TextLine>,
  judge: (line: TextLine) => SnapshotLine | undefined,
): AsyncGenerator<SnapshotLine> {
  for await (const line of lines) {
    const judged = judge(line);
    if (judged !== undefined) yield judged;
  }
}

async function* snapshotsOfRecords(
  name: string,
  lines: AsyncIterable<TextLine>,
  options: Pick<SnapshotInputOptions, "onTornTail">,
): AsyncGenerator<SnapshotLine> {
  const bad: SnapshotLine[] = [];
  const reader = new RecordReader(name, lines, {
    mode: "lenient",
    onBadLine: (b, source) => bad.push(rejectedLine(source, b.reason)),
  });
  for await (const { line, record, source } of reader) {
    yield* bad.splice(0);
    yield { ok: true, line, snapshot: record.snapshot, source };
  }
  yield* bad;
  if (reader.stats.tornTail !== undefined) options.onTornTail?.(reader.stats.tornTail);
}

function parsedOrReason(line: TextLine): { value: unknown } | string {
  if (line.problem !== undefined) return line.problem;
  try {
    return { value: parseInputJson(line.text) };
  } catch (error) {
    return `not valid JSON: ${errorMessage(error)}`;
  }
}

/** One KIS archive line as a snapshot or a rejection. */
function judgeKisLine(line: TextLine, mode: string | undefined): SnapshotLine {
  const parsed = parsedOrReason(line);
  if (typeof parsed === "string") return rejectedLine(line, parsed);
  const result = kisSwingSnapshot(parsed.value, { mode });
  return result.ok
    ? { ok: true, line: line.number, snapshot: result.snapshot, source: line }
    : rejectedLine(line, formatFieldIssues(result.issues));
}

/** One record line as its snapshot or a rejection. */
function judgeRecordLine(line: TextLine): SnapshotLine {
  const record = parseRecordLine(line);
  return typeof record === "string"
    ? rejectedLine(line, record)
    : { ok: true, line: line.number, snapshot: record.snapshot, source: line };
}

/**
 * One line of a dead-letter file: its `text` (perhaps fixed by the user) judged in the format
 * it came in. The line number is the dead-letter file's; a line that fails again carries that
 * format, so its new dead letter can be replayed the same way.
 */
function judgeDeadLetterLine(line: TextLine, mode: string | undefined): SnapshotLine | undefined {
  const parsed = parsedOrReason(line);
  if (typeof parsed === "string") return rejectedLine(line, parsed);
  const entry = parseDeadLetterEntry(parsed.value);
  if (!entry.ok) return rejectedLine(line, `dead-letter entry: ${formatFieldIssues(entry.issues)}`);
  const { format, text } = entry;
  const inner: TextLine = { text, number: line.number, terminated: true };
  if (isBlankLine(inner)) return undefined;
  const judged = format === "kis-swing"
    ? judgeKisLine(inner, mode)
    : format === "records"
    ? judgeRecordLine(inner)
    : parseSnapshotLine(inner)!;
  return { ...judged, format };
}
