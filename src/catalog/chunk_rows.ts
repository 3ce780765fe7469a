/**
 * One chunk of a record file (whole lines, cut by `readLineChunks`) into staging rows, by
 * columns: what a parse worker does, and what the build does on its own thread without workers.
 * Lines are judged by the project's record reader (lenient), so bad lines, blank lines and a torn
 * last line count exactly as when the file is read in one stream.
 *
 * @module
 */

import {
  DEFAULT_MAX_LINE_BYTES,
  type LinePiece,
  splitLines,
  type TextLine,
  tooLongProblem,
} from "../io/line_reader.ts";
import { RecordReader } from "../records/record_reader.ts";
import { STAGING_COLUMNS, stagingRow } from "./catalog_row.ts";

/** Staging columns a chunk fills: all but `source_file` and `source_line` (the stager's). */
export const CHUNK_COLUMNS: number = STAGING_COLUMNS.length - 2;

/** The staging rows of one chunk, by columns. */
export interface ChunkRows {
  /** Lines in the chunk, as the record reader numbers them. */
  readonly lines: number;
  /** Records read (with or without an event time). */
  readonly records: number;
  /** Records without an event time (not in the rows). */
  readonly noEventTime: number;
  /** Lines that were not records: `[line within the chunk (1-based), reason]`. */
  readonly bad: [number, string][];
  /** Line within the chunk (1-based) of each row. */
  readonly lineNumbers: number[];
  /** The first {@linkcode CHUNK_COLUMNS} staging columns, one value per row each. */
  readonly columns: (string | number | null)[][];
}

async function* each(lines: TextLine[]): AsyncGenerator<TextLine> {
  yield* lines;
}

/**
 * The staging rows of `bytes`, whole lines of a record file (see the module notes).
 *
 * @example
 * ```ts
 * import { chunkRows } from "./chunk_rows.ts";
 * const bytes = new TextEncoder().encode("not a record\n");
 * const rows = await chunkRows(bytes, { startOfInput: true, endOfInput: true });
 * rows.bad.length; // => 1
 * ```
 */
export function chunkRows(bytes: Uint8Array, piece: LinePiece): Promise<ChunkRows> {
  return linesRows(splitLines(bytes, piece));
}

/**
 * The rows of a line too long to keep (`bytes` long, line end excluded): one bad line, as the
 * record reader reports it.
 *
 * @example
 * ```ts
 * import { tooLongRows } from "./chunk_rows.ts";
 * (await tooLongRows(10, true, 8)).bad[0][1].startsWith("expected a line of at most 8"); // => true
 * ```
 */
export function tooLongRows(
  bytes: number,
  terminated: boolean,
  maxLineBytes = DEFAULT_MAX_LINE_BYTES,
): Promise<ChunkRows> {
  const problem = tooLongProblem(maxLineBytes, bytes);
  return linesRows([{ text: "", number: 1, terminated, problem }]);
}

async function linesRows(lines: TextLine[]): Promise<ChunkRows> {
  const bad: [number, string][] = [];
  const reader = new RecordReader("", each(lines), {
    mode: "lenient",
    onBadLine: (line) => bad.push([line.line, line.reason]),
  });
  const columns: (string | number | null)[][] = [];
  for (let i = 0; i < CHUNK_COLUMNS; i++) columns.push([]);
  const lineNumbers: number[] = [];
  let noEventTime = 0;
  for await (const { record, source, line } of reader) {
    const row = stagingRow(record, source.text, "", line);
    if (row === undefined) {
      noEventTime++;
      continue;
    }
    for (let i = 0; i < CHUNK_COLUMNS; i++) columns[i].push(row[i]);
    lineNumbers.push(line);
  }
  return {
    lines: lines.length,
    records: reader.stats.records,
    noEventTime,
    bad,
    lineNumbers,
    columns,
  };
}
