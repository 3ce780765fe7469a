/**
 * SQL over the catalog: a `records` view of every partition (hive-style, so `date` is a column
 * and a `WHERE date = …` reads one file), read-only: only `SELECT` (and `EXPLAIN`) statements
 * run, and the engine may touch nothing outside the catalog directory.
 *
 * @module
 */

import { join } from "node:path";
import { StatementType } from "@duckdb/node-api";
import { PARTITION_FILE, PARTITION_KEY } from "./catalog_schema.ts";
import { type CatalogEngine, openCatalogEngine, sqlString } from "./duckdb_engine.ts";
import { listPartitions } from "./catalog_build.ts";
import { firstErrorLine } from "../io/error_message.ts";

/** A query's answer: column names and types, and rows of plain JavaScript values. */
export interface QueryResult {
  /** Column names, in order. */
  readonly columns: string[];
  /** DuckDB type of each column, e.g. `VARCHAR`, `TIMESTAMP WITH TIME ZONE`. */
  readonly types: string[];
  /** Rows: strings, numbers, bigints, booleans, Dates, arrays, objects or null. */
  readonly rows: unknown[][];
}

/**
 * Thrown for a query the catalog does not run (not a SELECT, no catalog).
 *
 * @example
 * ```ts
 * import { CatalogQueryError } from "./catalog_query.ts";
 * new CatalogQueryError("expected a SELECT").name; // => "CatalogQueryError"
 * ```
 */
export class CatalogQueryError extends Error {
  /** `message` says what was expected and what came. */
  constructor(message: string) {
    super(message);
    this.name = "CatalogQueryError";
  }
}

/**
 * Opens the engine on `catalogDir` with the `records` view; throws
 * {@linkcode CatalogQueryError} when the catalog has no partition.
 *
 * @example
 * ```ts
 * import { openRecordsView } from "./catalog_query.ts";
 * using engine = await openRecordsView("/srv/qts/data/observer/catalog");
 * await engine.connection.run("SELECT count(*) FROM records");
 * ```
 */
export async function openRecordsView(
  catalogDir: string,
  options: { threads?: number } = {},
): Promise<CatalogEngine> {
  if ((await listPartitions(catalogDir)).length === 0) {
    throw new CatalogQueryError(
      `no partitions in ${catalogDir}: expected a catalog (run \`observer.ts catalog build\` first)`,
    );
  }
  const engine = await openCatalogEngine({ allowedDir: catalogDir, threads: options.threads });
  try {
    const glob = join(catalogDir, `${PARTITION_KEY}=*`, PARTITION_FILE);
    await engine.connection.run(
      `CREATE VIEW records AS SELECT * FROM read_parquet(${sqlString(glob)},
         hive_partitioning = true, hive_types = {'${PARTITION_KEY}': DATE})`,
    );
    return engine;
  } catch (error) {
    engine.close();
    throw error;
  }
}

/**
 * Runs one read-only SQL text (one or more statements; the last one's rows are returned) over
 * the `records` view. A statement other than SELECT or EXPLAIN is refused before anything runs.
 *
 * @example
 * ```ts
 * import { queryCatalog } from "./catalog_query.ts";
 * const result = await queryCatalog("/srv/qts/data/observer/catalog",
 *   "SELECT symbol, count(*) AS n FROM records GROUP BY 1 ORDER BY 1");
 * result.columns; // => ["symbol", "n"]
 * ```
 */
export async function queryCatalog(catalogDir: string, sql: string): Promise<QueryResult> {
  using engine = await openRecordsView(catalogDir);
  const con = engine.connection;
  const statements = await con.extractStatements(sql).catch((error) => {
    throw new CatalogQueryError(firstErrorLine(error));
  });
  if (statements.count === 0) throw new CatalogQueryError("expected a SQL statement, got none");
  const prepared = [];
  for (let i = 0; i < statements.count; i++) {
    const statement = await statements.prepare(i).catch((error) => {
      throw new CatalogQueryError(firstErrorLine(error));
    });
    const type = statement.statementType;
    if (type !== StatementType.SELECT && type !== StatementType.EXPLAIN) {
      throw new CatalogQueryError(
        `statement ${i + 1}: expected a SELECT (the catalog is read-only), got ` +
          `${StatementType[type] ?? type}`,
      );
    }
    prepared.push(statement);
  }
  let result: QueryResult = { columns: [], types: [], rows: [] };
  for (const statement of prepared) {
    const reader = await statement.runAndReadAll().catch((error) => {
      throw new CatalogQueryError(firstErrorLine(error));
    });
    result = {
      columns: reader.columnNames(),
      types: reader.columnTypes().map((t) => t.toString()),
      rows: reader.getRowsJS(),
    };
  }
  return result;
}
