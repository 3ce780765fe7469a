/**
 * The staging table: rows of the records read, appended to DuckDB in data chunks of 2,048, kept
 * in DuckDB's memory (spilled to disk beyond its limit), never in the JavaScript heap. A source
 * file is read in chunks of whole lines, parsed into rows on this thread or by parse workers in
 * parallel, and staged in reading order. The build and `catalog verify` both stage the source
 * files this way and then take the first row of every run_id (by reading order).
 *
 * @module
 */

import {
  DOUBLE,
  type DuckDBAppender,
  DuckDBDataChunk,
  type DuckDBType,
  VARCHAR,
} from "@duckdb/node-api";
import { readLineChunks } from "../io/line_chunks.ts";
import type { SqlConnection } from "./duckdb_engine.ts";
import { STAGING_COLUMNS } from "./catalog_row.ts";
import { catalogColumnNames } from "./catalog_schema.ts";
import { openSourceBytes, type SourceDigest } from "./source_scan.ts";
import { CHUNK_COLUMNS, type ChunkRows, tooLongRows } from "./chunk_rows.ts";
import { type ChunkParser, inThreadParser } from "./parse_workers.ts";

/** Rows per data chunk appended (DuckDB's vector size). */
const CHUNK_ROWS = 2048;

/**
 * The SELECT list that turns staging columns into the catalog's columns, in
 * {@linkcode catalogColumnNames} order.
 *
 * @example
 * ```ts
 * import { CATALOG_SELECT } from "./staging_table.ts";
 * CATALOG_SELECT.startsWith("make_timestamptz"); // => true
 * ```
 */
export const CATALOG_SELECT: string = catalogColumnNames().map((name) => {
  switch (name) {
    case "event_time":
      return "make_timestamptz(CAST(timestamp_ms AS BIGINT) * 1000) AS event_time";
    case "timestamp_ms":
      return "CAST(timestamp_ms AS BIGINT) AS timestamp_ms";
    case "quality_flags":
      return `CAST(from_json(quality_flags_list, '["VARCHAR"]') AS VARCHAR[]) AS quality_flags`;
    case "hints":
      return `CAST(from_json(hints_list, '["VARCHAR"]') AS VARCHAR[]) AS hints`;
    case "source_line":
      return "CAST(source_line AS BIGINT) AS source_line";
    default:
      return name;
  }
}).join(", ");

/**
 * Appends staging rows to a table, a data chunk of 2,048 rows at a time.
 *
 * @example
 * ```ts
 * import { StagingWriter } from "./staging_table.ts";
 * import type { ChunkRows } from "./chunk_rows.ts";
 * import type { SqlConnection } from "./duckdb_engine.ts";
 * declare const connection: SqlConnection;
 * declare const rows: ChunkRows;
 * const writer = await StagingWriter.create(connection, "staging");
 * writer.append(rows, "data/observer/a.jsonl", 0);
 * writer.close();
 * ```
 */
export class StagingWriter {
  readonly #appender: DuckDBAppender;
  readonly #types: DuckDBType[];
  #columns: (string | number | null)[][];
  #seq = 0;

  private constructor(appender: DuckDBAppender) {
    this.#appender = appender;
    this.#types = [...STAGING_COLUMNS.map(([, t]) => t === "DOUBLE" ? DOUBLE : VARCHAR), DOUBLE];
    this.#columns = this.#types.map(() => []);
  }

  /**
   * Creates table `table` (the staging columns and `seq`, the reading order) and a writer.
   *
   * @example
   * ```ts
   * import { StagingWriter } from "./staging_table.ts";
   * import type { SqlConnection } from "./duckdb_engine.ts";
   * declare const connection: SqlConnection;
   * const writer = await StagingWriter.create(connection, "staging");
   * writer.close();
   * ```
   */
  static async create(connection: SqlConnection, table: string): Promise<StagingWriter> {
    const columns = [...STAGING_COLUMNS.map(([n, t]) => `${n} ${t}`), "seq DOUBLE"];
    await connection.run(`CREATE TABLE ${table} (${columns.join(", ")})`);
    return new StagingWriter(await connection.createAppender(table));
  }

  /** Rows appended so far. */
  get rows(): number {
    return this.#seq;
  }

  /**
   * Appends a chunk's rows (buffered; a data chunk goes to DuckDB every 2,048 rows), naming them
   * `file` in `source_file`, their lines numbered after `lineBase`.
   */
  append(rows: ChunkRows, file: string, lineBase: number): void {
    const count = rows.lineNumbers.length;
    for (let from = 0; from < count;) {
      const columns = this.#columns;
      const take = Math.min(count - from, CHUNK_ROWS - columns[0].length);
      for (let i = 0; i < CHUNK_COLUMNS; i++) {
        const values = rows.columns[i];
        for (let k = from; k < from + take; k++) columns[i].push(values[k]);
      }
      for (let k = from; k < from + take; k++) {
        columns[CHUNK_COLUMNS].push(file);
        columns[CHUNK_COLUMNS + 1].push(lineBase + rows.lineNumbers[k]);
        columns[CHUNK_COLUMNS + 2].push(this.#seq++);
      }
      from += take;
      if (columns[0].length >= CHUNK_ROWS) this.#flushChunk();
    }
  }

  #flushChunk(): void {
    if (this.#columns[0].length === 0) return;
    const chunk = DuckDBDataChunk.create(this.#types);
    chunk.setColumns(this.#columns);
    this.#appender.appendDataChunk(chunk);
    this.#columns = this.#types.map(() => []);
  }

  /** Appends what is buffered and closes the appender. */
  close(): void {
    this.#flushChunk();
    this.#appender.flushSync();
    this.#appender.closeSync();
  }
}

/** Counts of staging one source file. */
export interface StagedSource {
  /** What was read of it. */
  readonly digest: SourceDigest;
  /** Rows staged. */
  readonly rows: number;
  /** Records without an event time, not staged. */
  readonly noEventTime: number;
}

/** Options of {@linkcode stageSource}. */
export interface StageOptions {
  /** Longest line read, in bytes (the reader's default when absent). */
  readonly maxLineBytes?: number;
  /** Called with each bad line (not a record): they are skipped and counted. */
  readonly onBadLine?: (line: number, reason: string) => void;
  /** Who turns chunks into rows: parse workers, or (default) this thread. */
  readonly parser?: ChunkParser;
}

/** Bytes of a chunk sent to a parser: large enough that a message costs little per line. */
const PARSE_CHUNK_BYTES = 1024 * 1024;

/**
 * Reads `path` (up to its last whole line) in chunks of whole lines, has them parsed (in
 * parallel with workers), and stages every record with an event time in reading order, naming
 * it `file` in the `source_file` column.
 *
 * @example
 * ```ts
 * import { stageSource, StagingWriter } from "./staging_table.ts";
 * declare const writer: StagingWriter;
 * (await stageSource(writer, "/p/data/observer/a.jsonl", "data/observer/a.jsonl")).rows;
 * ```
 */
export async function stageSource(
  writer: StagingWriter,
  path: string,
  file: string,
  options: StageOptions = {},
): Promise<StagedSource> {
  const parser = options.parser ?? inThreadParser;
  const { maxLineBytes } = options;
  using source = await openSourceBytes(path);
  const counts = { lineBase: 0, rows: 0, records: 0, badLines: 0, noEventTime: 0 };
  const take = (rows: ChunkRows) => {
    for (const [line, reason] of rows.bad) options.onBadLine?.(counts.lineBase + line, reason);
    writer.append(rows, file, counts.lineBase);
    counts.lineBase += rows.lines;
    counts.rows += rows.lineNumbers.length;
    counts.records += rows.records;
    counts.badLines += rows.bad.length;
    counts.noEventTime += rows.noEventTime;
  };
  const pending: Promise<ChunkRows>[] = [];
  const chunks = readLineChunks(source.stream, { chunkBytes: PARSE_CHUNK_BYTES, maxLineBytes });
  try {
    for await (const chunk of chunks) {
      if (chunk.kind === "lines") {
        const { bytes, startOfInput, endOfInput } = chunk;
        pending.push(parser.parse(bytes, { startOfInput, endOfInput, maxLineBytes }));
      } else pending.push(tooLongRows(chunk.bytes, chunk.terminated, maxLineBytes));
      while (pending.length > parser.depth) take(await pending.shift()!);
    }
    while (pending.length > 0) take(await pending.shift()!);
  } catch (error) {
    for (const rows of pending) rows.catch(() => {}); // failed with the first, or not needed
    throw error;
  }
  const digest = source.digest;
  digest.stats = { records: counts.records, badLines: counts.badLines };
  return { digest, rows: counts.rows, noEventTime: counts.noEventTime };
}

/**
 * Creates view `target` over staging table `staging`: the first row (by `seq`) of every run_id,
 * plus every row without a run_id, with `day` (the UTC event date) added. Only run_id and seq
 * are sorted to find the later ones (table `<target>_later`); the rows are not copied.
 *
 * @example
 * ```ts
 * import { firstOfEachRunId } from "./staging_table.ts";
 * import type { SqlConnection } from "./duckdb_engine.ts";
 * declare const connection: SqlConnection;
 * await firstOfEachRunId(connection, "staging", "firsts");
 * ```
 */
export async function firstOfEachRunId(
  connection: SqlConnection,
  staging: string,
  target: string,
): Promise<void> {
  await connection.run(`
    CREATE TABLE ${target}_later AS SELECT seq FROM ${staging}
    WHERE run_id IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY run_id ORDER BY seq) > 1`);
  await connection.run(`
    CREATE VIEW ${target} AS
    SELECT *, strftime(epoch_ms(CAST(timestamp_ms AS BIGINT)), '%Y-%m-%d') AS day
    FROM ${staging} WHERE seq NOT IN (SELECT seq FROM ${target}_later)`);
}
