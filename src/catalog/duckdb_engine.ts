/**
 * The catalog's SQL engine: an in-process DuckDB (`npm:@duckdb/node-api`, a Node-API addon, so
 * the catalog task needs `--allow-ffi`). Native code is outside Deno's permission checks, so the
 * engine is fenced by DuckDB's own settings instead: it may touch files only under the catalog
 * directory (`allowed_directories`, `enable_external_access = false`), the configuration is
 * locked so SQL cannot lift that, extensions are never downloaded, and times read in UTC.
 *
 * @module
 */

import type * as duckdb from "@duckdb/node-api";
import { DuckDBInstance } from "@duckdb/node-api";

/**
 * A DuckDB connection, as the catalog modules take it. Named here so the public API references
 * an exported type (as `cli/options.ts` does for commander's).
 */
export type SqlConnection = duckdb.DuckDBConnection;

/** Options of {@linkcode openCatalogEngine}. */
export interface CatalogEngineOptions {
  /** The only directory DuckDB may read or write (the catalog directory), absolute. */
  readonly allowedDir: string;
  /** A database file inside `allowedDir` for staged rows; default in memory. */
  readonly databaseFile?: string;
  /** Worker threads of DuckDB; default 2. */
  readonly threads?: number;
  /** DuckDB's memory limit, e.g. `"1GB"` (it spills to `<allowedDir>/.tmp` beyond). */
  readonly memoryLimit?: string;
}

/** An open engine: one DuckDB instance and one connection; `close()` (or disposal) ends both. */
export interface CatalogEngine extends Disposable {
  /** The connection every statement runs on. */
  readonly connection: SqlConnection;
  /** The DuckDB version, e.g. `v1.5.6`. */
  readonly version: string;
  /**
   * Another connection to the same database (same settings, fence included), for statements
   * that run while the first is busy; closed with the engine.
   */
  connect(): Promise<SqlConnection>;
  /** Closes the connection and the instance (idempotent). */
  close(): void;
}

/** Temporary directory DuckDB spills to, inside the catalog directory. */
export const ENGINE_TEMP_DIR = ".tmp";

/**
 * A SQL string literal of `text` (single quotes doubled).
 *
 * @example
 * ```ts
 * import { sqlString } from "./duckdb_engine.ts";
 * sqlString("it's"); // => "'it''s'"
 * ```
 */
export function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/**
 * Opens DuckDB fenced to `allowedDir` (see the module notes).
 *
 * @example
 * ```ts
 * import { openCatalogEngine } from "./duckdb_engine.ts";
 * const dir = await Deno.makeTempDir();
 * using engine = await openCatalogEngine({ allowedDir: dir });
 * await engine.connection.run("SELECT 1");
 * ```
 */
export async function openCatalogEngine(options: CatalogEngineOptions): Promise<CatalogEngine> {
  const dir = options.allowedDir.endsWith("/") ? options.allowedDir : `${options.allowedDir}/`;
  const instance = await DuckDBInstance.create(options.databaseFile ?? ":memory:", {
    threads: String(options.threads ?? 2),
    autoinstall_known_extensions: "false",
    autoload_known_extensions: "false",
  });
  let connection: SqlConnection | undefined;
  try {
    connection = await instance.connect();
    const settings = [
      `SET temp_directory = ${sqlString(dir + ENGINE_TEMP_DIR)}`,
      `SET allowed_directories = [${sqlString(dir)}]`,
      "SET enable_external_access = false",
      "SET preserve_insertion_order = true",
    ];
    if (options.memoryLimit !== undefined) {
      settings.push(`SET memory_limit = ${sqlString(options.memoryLimit)}`);
    }
    settings.push("SET lock_configuration = true");
    for (const statement of settings) await connection.run(statement);
    const version = String(
      (await connection.runAndReadAll("SELECT version()")).getRowsJS()[0][0],
    );
    let closed = false;
    const connections = [connection];
    const close = () => {
      if (closed) return;
      closed = true;
      for (const c of connections) c.closeSync();
      instance.closeSync();
    };
    const connect = async () => {
      const more = await instance.connect();
      connections.push(more);
      return more;
    };
    return { connection, version, close, connect, [Symbol.dispose]: close };
  } catch (error) {
    connection?.closeSync();
    instance.closeSync();
    throw error;
  }
}
