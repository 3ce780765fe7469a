/**
 * Figures computed from a partition's Parquet file with SQL: rows, rows per source file,
 * per-symbol counts, first/last event time and largest gap, and duplicated run_ids. The build
 * writes them into the manifest; `catalog verify` computes them again and compares.
 *
 * @module
 */

import { type SqlConnection, sqlString } from "./duckdb_engine.ts";
import type { SymbolStats } from "./catalog_manifest.ts";

function iso(ms: unknown): string | null {
  return ms === null || ms === undefined ? null : new Date(Number(ms)).toISOString();
}

/**
 * Per-symbol figures of the Parquet file at `path` (symbols in order, null last). The largest
 * gap is the longest time between consecutive records of the symbol (by event time, then
 * run_id); of equal gaps the earliest is named.
 *
 * @example
 * ```ts
 * import { symbolStats } from "./partition_stats.ts";
 * import type { SqlConnection } from "./duckdb_engine.ts";
 * declare const connection: SqlConnection;
 * (await symbolStats(connection, "/c/date=2026-01-26/part-0.parquet"))[0]?.count;
 * ```
 */
export async function symbolStats(
  connection: SqlConnection,
  path: string,
): Promise<SymbolStats[]> {
  const reader = await connection.runAndReadAll(`
    WITH t AS (
      SELECT symbol, timestamp_ms,
        lag(timestamp_ms) OVER (PARTITION BY symbol ORDER BY timestamp_ms, run_id) AS prev
      FROM read_parquet(${sqlString(path)})
    ), g AS (
      SELECT symbol, prev, timestamp_ms, timestamp_ms - prev AS gap,
        row_number() OVER (PARTITION BY symbol ORDER BY timestamp_ms - prev DESC, timestamp_ms)
          AS rank
      FROM t WHERE prev IS NOT NULL
    ), s AS (
      SELECT symbol, count(*) AS n, min(timestamp_ms) AS first, max(timestamp_ms) AS last
      FROM t GROUP BY symbol
    )
    SELECT s.symbol, s.n, s.first, s.last, g.gap, g.prev, g.timestamp_ms
    FROM s LEFT JOIN g ON g.symbol IS NOT DISTINCT FROM s.symbol AND g.rank = 1
    ORDER BY s.symbol NULLS LAST`);
  return reader.getRowsJS().map((row) => ({
    symbol: row[0] === null ? null : String(row[0]),
    count: Number(row[1]),
    first_event_time: iso(row[2])!,
    last_event_time: iso(row[3])!,
    largest_gap_ms: row[4] === null ? null : Number(row[4]),
    largest_gap_from: iso(row[5]),
    largest_gap_to: iso(row[6]),
  }));
}

/**
 * Rows per `source_file` of the Parquet file at `path`, by file name.
 *
 * @example
 * ```ts
 * import { rowsPerSource } from "./partition_stats.ts";
 * import type { SqlConnection } from "./duckdb_engine.ts";
 * declare const connection: SqlConnection;
 * await rowsPerSource(connection, "/c/date=2026-01-26/part-0.parquet"); // e.g. Map { "a.jsonl" => 3 }
 * ```
 */
export async function rowsPerSource(
  connection: SqlConnection,
  path: string,
): Promise<Map<string, number>> {
  const reader = await connection.runAndReadAll(
    `SELECT source_file, count(*) FROM read_parquet(${sqlString(path)}) GROUP BY 1 ORDER BY 1`,
  );
  return new Map(reader.getRowsJS().map((row) => [String(row[0]), Number(row[1])]));
}

/**
 * Rows of the Parquet file at `path`, from a scan that decodes every value of every column (not
 * the footer alone), so a damaged page anywhere in the file fails here.
 *
 * @example
 * ```ts
 * import { countRows } from "./partition_stats.ts";
 * import type { SqlConnection } from "./duckdb_engine.ts";
 * declare const connection: SqlConnection;
 * await countRows(connection, "/c/date=2026-01-26/part-0.parquet");
 * ```
 */
export async function countRows(connection: SqlConnection, path: string): Promise<number> {
  const reader = await connection.runAndReadAll(
    `SELECT count(*), bit_xor(hash(COLUMNS(*))) FROM read_parquet(${
      sqlString(path)
    }, hive_partitioning = false)`,
  );
  return Number(reader.getRowsJS()[0][0]);
}

/**
 * Rows of the Parquet file at `path`, from its footer: what the build just wrote (it does not
 * decode the file again; `catalog verify` does, with {@linkcode countRows}).
 *
 * @example
 * ```ts
 * import { parquetRows } from "./partition_stats.ts";
 * import type { SqlConnection } from "./duckdb_engine.ts";
 * declare const connection: SqlConnection;
 * await parquetRows(connection, "/c/date=2026-01-26/part-0.parquet");
 * ```
 */
export async function parquetRows(connection: SqlConnection, path: string): Promise<number> {
  const reader = await connection.runAndReadAll(
    `SELECT num_rows FROM parquet_file_metadata(${sqlString(path)})`,
  );
  return Number(reader.getRowsJS()[0][0]);
}

/**
 * run_ids that occur more than once in the Parquet file at `path`, with their counts (at most
 * `limit`, by run_id).
 *
 * @example
 * ```ts
 * import { duplicatedRunIds } from "./partition_stats.ts";
 * import type { SqlConnection } from "./duckdb_engine.ts";
 * declare const connection: SqlConnection;
 * await duplicatedRunIds(connection, "/c/date=2026-01-26/part-0.parquet"); // e.g. [["r1", 2]]
 * ```
 */
export async function duplicatedRunIds(
  connection: SqlConnection,
  path: string,
  limit = 10,
): Promise<[string, number][]> {
  const reader = await connection.runAndReadAll(
    `SELECT run_id, count(*) FROM read_parquet(${sqlString(path)})
     WHERE run_id IS NOT NULL GROUP BY 1 HAVING count(*) > 1 ORDER BY 1 LIMIT ${limit}`,
  );
  return reader.getRowsJS().map((row) => [String(row[0]), Number(row[1])]);
}
