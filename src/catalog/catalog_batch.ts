/**
 * One batch of a build: a few source files staged together (bounded by their bytes, so the rows
 * stay within DuckDB's memory instead of spilling), their first row of each run_id kept unless
 * the catalog (or an earlier batch) has that run_id already, and every date they add rows to
 * written: its old rows (if any) and the new ones, sorted, zstd. A date that gets rows in two
 * batches is written twice, the second time merged, to the same bytes a single write gives.
 * The build stages a batch (JavaScript: reading, parsing, appending) while the engine writes
 * the one before on a second connection (its threads: sorting, compressing).
 *
 * Sorting rows that carry their whole record line is most of the write's cost. A day whose new
 * rows are already in order within each symbol (as a recording writes them: by time) and has
 * few symbols is written without sorting them: one filtered scan per symbol, in symbol order,
 * each in reading order, the same rows in the same order as the sort gives (the sorted write is
 * used otherwise, and when old rows are merged).
 *
 * @module
 */

import { join } from "node:path";
import { PARTITION_FILE, partitionName, utcDate } from "./catalog_schema.ts";
import { type SqlConnection, sqlString } from "./duckdb_engine.ts";
import type { ChunkParser } from "./parse_workers.ts";
import {
  CATALOG_SELECT,
  firstOfEachRunId,
  type StagedSource,
  stageSource,
  StagingWriter,
} from "./staging_table.ts";

const DAY_MS = 86_400_000;

/** Parquet settings of every partition file. */
export const PARQUET_OPTIONS = {
  /** Compression codec. */
  compression: "zstd",
  /**
   * zstd level: 1 costs a quarter less of the write's CPU than DuckDB's default 3, and on the
   * record lines gives smaller files too (measured, see docs/catalog.md "Benchmarks").
   */
  compressionLevel: 1,
  /** Rows per row group: small enough that one symbol's rows skip most of a day's file. */
  rowGroupSize: 16_384,
} as const;

/** The sort order of rows in a partition file. */
export const SORT_ORDER: readonly string[] = [
  "symbol",
  "timestamp_ms",
  "run_id",
  "source_file",
  "source_line",
];

/** A source file to read: its path and its name in the catalog. */
export interface SourceToRead {
  /** Absolute path. */
  readonly path: string;
  /** Name in manifests and `source_file`. */
  readonly name: string;
  /** Its size in bytes when planned (for batching). */
  readonly bytes: number;
}

/**
 * `files` cut into batches in order, each of at most `maxBytes` bytes (or one larger file).
 *
 * @example
 * ```ts
 * import { sourceBatches } from "./catalog_batch.ts";
 * const f = (bytes: number) => ({ path: "/a", name: "a", bytes });
 * sourceBatches([f(3), f(3), f(5)], 6).map((b) => b.length); // => [2, 1]
 * ```
 */
export function sourceBatches(files: readonly SourceToRead[], maxBytes: number): SourceToRead[][] {
  const batches: SourceToRead[][] = [];
  let bytes = 0;
  for (const file of files) {
    const last = batches.at(-1);
    if (last === undefined || bytes + file.bytes > maxBytes) {
      batches.push([file]);
      bytes = file.bytes;
    } else {
      last.push(file);
      bytes += file.bytes;
    }
  }
  return batches;
}

/**
 * Creates table `known_ids`: every run_id in the Parquet files `partitionFiles` (the catalog
 * before this build); batches add theirs as they are written.
 *
 * @example
 * ```ts
 * import { loadKnownRunIds } from "./catalog_batch.ts";
 * import type { SqlConnection } from "./duckdb_engine.ts";
 * declare const connection: SqlConnection;
 * await loadKnownRunIds(connection, []);
 * ```
 */
export async function loadKnownRunIds(
  con: SqlConnection,
  partitionFiles: readonly string[],
): Promise<void> {
  await con.run(
    partitionFiles.length === 0
      ? "CREATE TABLE known_ids (run_id VARCHAR)"
      : `CREATE TABLE known_ids AS SELECT run_id FROM read_parquet(
           [${partitionFiles.map(sqlString).join(", ")}], hive_partitioning = false)
         WHERE run_id IS NOT NULL`,
  );
}

/** How a batch is staged. */
export interface BatchOptions {
  /** Who parses the chunks. */
  readonly parser: ChunkParser;
  /** Longest line read, in bytes. */
  readonly maxLineBytes?: number;
  /** Told about each bad line. */
  readonly tell: (message: string) => void;
  /** Called with each file once staged, in order. */
  readonly onStaged: (file: SourceToRead, staged: StagedSource) => void;
}

/** What a batch adds: its new rows, staged, to be written by {@linkcode writeBatch}. */
export interface StagedBatch {
  /** The batch's number: its tables are `staging_<n>`, `fresh_<n>`, …. */
  readonly n: number;
  /** Rows added, per source file name. */
  readonly added: Map<string, number>;
  /** Rows staged, per source file name (those not added were duplicates). */
  readonly staged: Map<string, number>;
  /** The UTC dates of the rows added, in order. */
  readonly days: string[];
}

/**
 * Stages `files` as batch `n` and keeps its new rows (view `fresh_<n>`, see the module notes),
 * whose run_ids go into `known_ids` at once: a later batch may be staged while this one is
 * written.
 *
 * @example
 * ```ts
 * import { type BatchOptions, stageBatch } from "./catalog_batch.ts";
 * import type { SqlConnection } from "./duckdb_engine.ts";
 * declare const connection: SqlConnection;
 * declare const options: BatchOptions;
 * const files = [{ path: "/p/data/observer/a.jsonl", name: "data/observer/a.jsonl", bytes: 10 }];
 * (await stageBatch(connection, 0, files, options)).days;
 * ```
 */
export async function stageBatch(
  con: SqlConnection,
  n: number,
  files: readonly SourceToRead[],
  options: BatchOptions,
): Promise<StagedBatch> {
  const writer = await StagingWriter.create(con, `staging_${n}`);
  try {
    for (const file of files) {
      const staged = await stageSource(writer, file.path, file.name, {
        maxLineBytes: options.maxLineBytes,
        parser: options.parser,
        onBadLine: (line, reason) =>
          options.tell(`${file.name}:${line}: not a record, skipped: ${reason}`),
      });
      options.onStaged(file, staged);
    }
  } finally {
    writer.close();
  }
  await firstOfEachRunId(con, `staging_${n}`, `firsts_${n}`);
  await con.run(`CREATE TABLE known_${n} AS SELECT f.seq FROM firsts_${n} f
    JOIN known_ids k ON f.run_id = k.run_id`);
  await con.run(`CREATE VIEW fresh_${n} AS SELECT * FROM firsts_${n}
    WHERE seq NOT IN (SELECT seq FROM known_${n})`);
  await con.run(`INSERT INTO known_ids SELECT run_id FROM fresh_${n} WHERE run_id IS NOT NULL`);
  const days = (await con.runAndReadAll(
    `SELECT DISTINCT CAST(floor(timestamp_ms / 86400000) AS BIGINT) AS d FROM fresh_${n}
     ORDER BY d`,
  )).getRowsJS().map((r) => utcDate(Number(r[0]) * DAY_MS));
  const added = await countPerFile(con, `fresh_${n}`);
  return { n, added, staged: await countPerFile(con, `staging_${n}`), days };
}

/**
 * Writes the partitions of a staged batch's days under `catalogDir` (merged with their old
 * rows) and drops the batch's tables. Returns the partitions written, in date order.
 *
 * @example
 * ```ts
 * import { type StagedBatch, writeBatch } from "./catalog_batch.ts";
 * import type { SqlConnection } from "./duckdb_engine.ts";
 * declare const connection: SqlConnection;
 * declare const batch: StagedBatch;
 * await writeBatch(connection, "/p/data/observer/catalog", batch, () => {});
 * ```
 */
export async function writeBatch(
  con: SqlConnection,
  catalogDir: string,
  batch: StagedBatch,
  tell: (message: string) => void,
): Promise<string[]> {
  const written: string[] = [];
  for (const day of batch.days) {
    await writePartition(con, catalogDir, `fresh_${batch.n}`, day);
    written.push(partitionName(day));
    tell(`${partitionName(day)}: written`);
  }
  const n = batch.n;
  for (const drop of [`VIEW fresh_${n}`, `TABLE known_${n}`, `VIEW firsts_${n}`]) {
    await con.run(`DROP ${drop}`);
  }
  await con.run(`DROP TABLE firsts_${n}_later`);
  await con.run(`DROP TABLE staging_${n}`);
  return written;
}

async function countPerFile(con: SqlConnection, table: string): Promise<Map<string, number>> {
  const reader = await con.runAndReadAll(`SELECT source_file, count(*) FROM ${table} GROUP BY 1`);
  return new Map(reader.getRowsJS().map((r) => [String(r[0]), Number(r[1])]));
}

/** Most symbols a day may have to be written by symbol without a sort. */
const MAX_SCANNED_SYMBOLS = 64;

/** The ORDER BY of a partition's rows. */
const ORDER_BY = `ORDER BY symbol NULLS LAST, ${SORT_ORDER.slice(1).join(", ")}`;

/**
 * The distinct symbols (in `ORDER_BY` order) of the new rows `where`, when they are at most
 * {@linkcode MAX_SCANNED_SYMBOLS} and each symbol's rows are in sort order in reading order;
 * else undefined. Only the sort keys are looked at.
 */
async function presortedSymbols(
  con: SqlConnection,
  fresh: string,
  where: string,
): Promise<(string | null)[] | undefined> {
  const symbols = (await con.runAndReadAll(
    `SELECT DISTINCT symbol FROM ${fresh} WHERE ${where} ORDER BY symbol NULLS LAST
     LIMIT ${MAX_SCANNED_SYMBOLS + 1}`,
  )).getRowsJS().map((r) => r[0] === null ? null : String(r[0]));
  if (symbols.length > MAX_SCANNED_SYMBOLS) return undefined;
  const keys = SORT_ORDER.slice(1).join(", ");
  const unordered = (await con.runAndReadAll(
    `SELECT count(*) FROM (SELECT
       row_number() OVER (PARTITION BY symbol ORDER BY ${keys}) AS by_key,
       row_number() OVER (PARTITION BY symbol ORDER BY seq) AS by_seq
     FROM ${fresh} WHERE ${where}) WHERE by_key <> by_seq`,
  )).getRowsJS()[0][0];
  return Number(unordered) === 0 ? symbols : undefined;
}

/**
 * Writes the partition of `day` (`date=<day>/part-0.parquet`): its old rows and the new ones
 * of view `freshView`, sorted, zstd (see the module notes).
 */
async function writePartition(
  con: SqlConnection,
  catalogDir: string,
  freshView: string,
  day: string,
): Promise<void> {
  const dir = join(catalogDir, partitionName(day));
  await Deno.mkdir(dir, { recursive: true });
  const target = join(dir, PARTITION_FILE);
  const tmp = join(dir, `.${PARTITION_FILE}.tmp`);
  const hasOld = await Deno.stat(target).then(() => true, () => false);
  const start = Date.parse(`${day}T00:00:00.000Z`);
  const inDay = `timestamp_ms >= ${start} AND timestamp_ms < ${start + DAY_MS}`;
  const fresh = `SELECT ${CATALOG_SELECT} FROM ${freshView} WHERE ${inDay}`;
  const symbols = hasOld ? undefined : await presortedSymbols(con, freshView, inDay);
  let rows: string;
  if (symbols !== undefined) {
    rows = symbols.map((symbol) =>
      `(${fresh} AND symbol ${symbol === null ? "IS NULL" : `= ${sqlString(symbol)}`})`
    ).join(" UNION ALL ");
  } else {
    const all = hasOld
      ? `${fresh} UNION ALL SELECT * FROM read_parquet(${sqlString(target)},
           hive_partitioning = false)`
      : fresh;
    rows = `SELECT * FROM (${all}) ${ORDER_BY}`;
  }
  await con.run(`
    COPY (${rows}) TO ${sqlString(tmp)}
    (FORMAT parquet, COMPRESSION ${PARQUET_OPTIONS.compression},
     COMPRESSION_LEVEL ${PARQUET_OPTIONS.compressionLevel},
     ROW_GROUP_SIZE ${PARQUET_OPTIONS.rowGroupSize})`);
  await Deno.rename(tmp, target);
}
