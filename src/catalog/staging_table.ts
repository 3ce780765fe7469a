/**
 * The staging table: rows of the records read, appended to DuckDB in data chunks of 2,048, kept
 * in DuckDB's memory (spilled to disk beyond its limit), never in the JavaScript heap. The
 * build and `catalog verify` both stage the source files this way and then take the first row
 * of every run_id (by reading order).
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
import type { SqlConnection } from "./duckdb_engine.ts";
import { STAGING_COLUMNS, type StagingRow } from "./catalog_row.ts";
import { catalogColumnNames } from "./catalog_schema.ts";
import { scanSource, type SourceDigest } from "./source_scan.ts";
import { stagingRow } from "./catalog_row.ts";

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
 * Appends staging rows to a table, a chunk at a time.
 *
 * @example
 * ```ts
 * import { StagingWriter } from "./staging_table.ts";
 * import type { StagingRow } from "./catalog_row.ts";
 * import type { SqlConnection } from "./duckdb_engine.ts";
 * declare const connection: SqlConnection;
 * declare const row: StagingRow;
 * const writer = await StagingWriter.create(connection, "staging");
 * writer.append(row);
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

  /** Appends one row (buffered; a chunk goes to DuckDB every 2,048 rows). */
  append(row: StagingRow): void {
    const columns = this.#columns;
    for (let i = 0; i < row.length; i++) columns[i].push(row[i]);
    columns[row.length].push(this.#seq++);
    if (columns[0].length >= CHUNK_ROWS) this.#flushChunk();
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

/**
 * Reads `path` (up to its last whole line) and stages every record with an event time, naming
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
  options: { maxLineBytes?: number; onBadLine?: (line: number, reason: string) => void } = {},
): Promise<StagedSource> {
  const digest: SourceDigest = { bytes: 0, lines: 0, sha256: "", tailBytes: 0 };
  let rows = 0;
  let noEventTime = 0;
  for await (const { record, source, line } of scanSource(path, digest, options)) {
    const row = stagingRow(record, source.text, file, line);
    if (row === undefined) {
      noEventTime++;
      continue;
    }
    writer.append(row);
    rows++;
  }
  return { digest, rows, noEventTime };
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
