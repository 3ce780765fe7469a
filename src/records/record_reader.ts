/**
 * The one reader of record files: streams PatternRecords line by line with constant memory.
 * Every part of the project that reads record files goes through it.
 *
 * @module
 */

import { formatFieldIssues } from "../contract/field_issue.ts";
import { parsePatternRecord, type PatternRecord } from "../contract/pattern_record.ts";
import { isBlankLine, readLines, type TextLine } from "../io/line_reader.ts";
import { parseInputJson } from "../contract/input_json.ts";

/** `strict` stops at the first bad line; `lenient` skips and counts bad lines. */
export type ReadMode = "strict" | "lenient";

/** A line that is not a record, with where it is and why. */
export interface BadLine {
  /** The reader's name for the input, usually the file path. */
  readonly file: string;
  /** 1-based line number. */
  readonly line: number;
  /** Why the line is not a record. */
  readonly reason: string;
}

/** Thrown in strict mode for the first bad line. */
export class RecordFileError extends Error {
  /** The bad line. */
  readonly bad: BadLine;

  /** Wraps a bad line; the message is `file:line: reason`. */
  constructor(bad: BadLine) {
    super(`${bad.file}:${bad.line}: ${bad.reason}`);
    this.name = "RecordFileError";
    this.bad = bad;
  }
}

/** One record and the line it came from. */
export interface RecordLine {
  /** 1-based line number. */
  readonly line: number;
  /** The parsed record. */
  readonly record: PatternRecord;
  /** The line as read. */
  readonly source: TextLine;
}

/** Options of {@linkcode RecordReader}. */
export interface RecordReaderOptions {
  /** Default `strict`. */
  readonly mode?: ReadMode;
  /** Called for each bad line in lenient mode, with the line as read. */
  readonly onBadLine?: (bad: BadLine, source: TextLine) => void;
  /** Called with the byte count of every chunk read (progress bars). */
  readonly onBytes?: (bytes: number) => void;
  /** Stops reading when aborted. */
  readonly signal?: AbortSignal;
  /** Longest line read, in bytes; longer lines are bad lines. Default `DEFAULT_MAX_LINE_BYTES`. */
  readonly maxLineBytes?: number;
}

/** What a reader saw, complete once iteration ends. */
export interface RecordReadStats {
  /** Records yielded. */
  records: number;
  /** Lines skipped as not records (lenient mode), torn tail excluded. */
  badLines: number;
  /**
   * A last line without a newline that is not a record: a writer's torn leftover. Reported
   * here (and never fatal, even in strict mode); not counted in `badLines`.
   */
  tornTail?: BadLine;
}

/** Judges one line: a record, or the reason it is not one. */
export function parseRecordLine(line: TextLine): PatternRecord | string {
  if (line.problem !== undefined) return line.problem;
  let value: unknown;
  try {
    value = parseInputJson(line.text);
  } catch (error) {
    return `not valid JSON: ${error instanceof Error ? error.message : error}`;
  }
  const parsed = parsePatternRecord(value);
  return parsed.ok ? parsed.record : formatFieldIssues(parsed.issues);
}

/**
 * Streams the records of one file (or any byte stream). Blank lines are skipped. A final line
 * without a newline that does not parse is reported as {@linkcode RecordReadStats.tornTail}.
 *
 * @example
 * ```ts
 * import { RecordReader } from "./record_reader.ts";
 * declare const path: string;
 * using file = await Deno.open(path);
 * const reader = new RecordReader(path, file.readable, { mode: "lenient" });
 * for await (const { record } of reader) console.log(record.snapshot.meta.run_id);
 * console.log(reader.stats.badLines);
 * ```
 */
export class RecordReader implements AsyncIterable<RecordLine> {
  /** Counters, complete once iteration ends. */
  readonly stats: RecordReadStats = { records: 0, badLines: 0 };
  readonly #name: string;
  readonly #source: ReadableStream<Uint8Array> | AsyncIterable<TextLine>;
  readonly #options: RecordReaderOptions;

  /**
   * A reader of a byte stream (or of lines already split by `readLines`), called `name` in
   * messages (usually the file path).
   */
  constructor(
    name: string,
    source: ReadableStream<Uint8Array> | AsyncIterable<TextLine>,
    options: RecordReaderOptions = {},
  ) {
    this.#name = name;
    this.#source = source;
    this.#options = options;
  }

  /** Yields each record with its line number. */
  async *[Symbol.asyncIterator](): AsyncGenerator<RecordLine> {
    const { onBytes, signal, maxLineBytes } = this.#options;
    const strict = (this.#options.mode ?? "strict") === "strict";
    const lines = this.#source instanceof ReadableStream
      ? readLines(this.#source, { onBytes, signal, maxLineBytes })
      : this.#source;
    for await (const line of lines) {
      if (isBlankLine(line)) continue;
      const parsed = parseRecordLine(line);
      if (typeof parsed !== "string") {
        this.stats.records++;
        yield { line: line.number, record: parsed, source: line };
        continue;
      }
      const bad = { file: this.#name, line: line.number, reason: parsed };
      if (!line.terminated) {
        this.stats.tornTail = { ...bad, reason: `partial last line (no newline): ${parsed}` };
        continue;
      }
      if (strict) throw new RecordFileError(bad);
      this.stats.badLines++;
      this.#options.onBadLine?.(bad, line);
    }
  }
}

/** An input opened for reading: its bytes, released on dispose (a file is closed). */
export interface OpenedInput extends Disposable {
  /** The input's bytes. */
  readonly readable: ReadableStream<Uint8Array>;
}

/**
 * An input read under a name of its own rather than a file path: standard input (`-` on the
 * command line), or a copy of it. `open` gives its bytes; a stream that can be read only once
 * may refuse a second `open`.
 */
export interface NamedInput {
  /** The name messages use (`stdin`). */
  readonly name: string;
  /** Opens the input for reading. */
  readonly open: () => Promise<OpenedInput>;
}

/** What the record-reading commands read: a file path, or a {@linkcode NamedInput}. */
export type RecordInput = string | NamedInput;

/**
 * The name messages use for `input`: its path, or its own name.
 *
 * @example
 * ```ts
 * import { inputName } from "./record_reader.ts";
 * inputName("data/observer/observer.jsonl"); // => "data/observer/observer.jsonl"
 * ```
 */
export function inputName(input: RecordInput): string {
  return typeof input === "string" ? input : input.name;
}

/**
 * Opens `input` for reading: the file at a path, or the named input's own stream.
 *
 * @example
 * ```ts
 * import { openRecordInput, RecordReader } from "./record_reader.ts";
 * using input = await openRecordInput("data/observer/observer.jsonl");
 * const reader = new RecordReader("observer.jsonl", input.readable, { mode: "lenient" });
 * ```
 */
export async function openRecordInput(input: RecordInput): Promise<OpenedInput> {
  return typeof input === "string" ? await Deno.open(input) : await input.open();
}

/**
 * Opens a record file (or another {@linkcode RecordInput}) and reads it; the file is closed when
 * iteration ends.
 *
 * @example
 * ```ts
 * for await (const { record } of openRecordFile("data/observer/observer.jsonl")) {}
 * ```
 */
export async function* openRecordFile(
  input: RecordInput,
  options: RecordReaderOptions & { stats?: (stats: RecordReadStats) => void } = {},
): AsyncGenerator<RecordLine> {
  using opened = await openRecordInput(input);
  const reader = new RecordReader(inputName(input), opened.readable, options);
  try {
    yield* reader;
  } finally {
    options.stats?.(reader.stats);
  }
}
