/**
 * The PostgreSQL table the `postgres` sink writes: its name rules, DDL and connection basics,
 * without the client (so the configuration can be checked without loading it).
 *
 * @module
 */

/**
 * How the connection uses TLS, as libpq's `sslmode` of the same names: `disable` (plaintext),
 * `require` (encrypted, the server's certificate not checked), `verify-ca` (encrypted, the
 * certificate signed by a trusted CA), `verify-full` (that, and it names the host connected to).
 * libpq's `allow` and `prefer` are not among them: they fall back to plaintext without a word.
 */
export const POSTGRES_TLS_MODES = ["disable", "require", "verify-ca", "verify-full"] as const;

/** One of {@linkcode POSTGRES_TLS_MODES}. */
export type PostgresTls = typeof POSTGRES_TLS_MODES[number];

/** The default table. */
export const DEFAULT_POSTGRES_TABLE = "observer_records";

/** A table name the sink accepts: `name` or `schema.name`, letters, digits and `_`. */
export const POSTGRES_TABLE_PATTERN =
  /^[A-Za-z_][A-Za-z0-9_]{0,39}(\.[A-Za-z_][A-Za-z0-9_]{0,39})?$/;

/**
 * The table's DDL: run_id as primary key (what makes writes idempotent), indexed event time,
 * symbol, source/stage and session, and the whole record as `jsonb`.
 *
 * @example
 * ```ts
 * import { postgresTableDdl } from "./postgres_table.ts";
 * postgresTableDdl("observer_records")[0]; // "CREATE TABLE IF NOT EXISTS observer_records (..."
 * ```
 */
export function postgresTableDdl(table: string): string[] {
  if (!POSTGRES_TABLE_PATTERN.test(table)) {
    throw new RangeError(
      `table: expected a name like observer_records or schema.name (letters, digits, _), got ${
        JSON.stringify(table)
      }`,
    );
  }
  const base = table.split(".").pop()!;
  return [
    `CREATE TABLE IF NOT EXISTS ${table} (
  run_id       text PRIMARY KEY,
  event_time   timestamptz,
  timestamp_ms bigint,
  symbol       text,
  market       text,
  source       text,
  stage        text,
  session_id   text,
  guard_action text NOT NULL,
  record       jsonb NOT NULL,
  inserted_at  timestamptz NOT NULL DEFAULT now()
)`,
    `CREATE INDEX IF NOT EXISTS ${base}_event_time_idx ON ${table} (event_time)`,
    `CREATE INDEX IF NOT EXISTS ${base}_symbol_time_idx ON ${table} (symbol, event_time)`,
    `CREATE INDEX IF NOT EXISTS ${base}_source_stage_idx ON ${table} (source, stage)`,
    `CREATE INDEX IF NOT EXISTS ${base}_session_idx ON ${table} (session_id)`,
  ];
}

/** The host and port a URL connects to, for permission checks and messages. */
export function postgresEndpoint(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new RangeError(`expected a postgres:// URL, got ${parsed.protocol}//...`);
  }
  return { host: parsed.hostname || "localhost", port: Number(parsed.port || 5432) };
}

/** Queue defaults of the `postgres` sink: fewer, larger round trips than a file. */
export const POSTGRES_SINK_DEFAULTS = {
  maxQueueBytes: 4 * 1024 * 1024,
  flushBytes: 1024 * 1024,
  flushIntervalMs: 100,
  whenFull: "block",
} as const;

/** Query parameters of a connection URL that may hold a secret (libpq's names). */
const SECRET_PARAMETERS = ["password", "sslpassword"];

/**
 * A connection URL with its password (and a `password` or `sslpassword` query parameter)
 * replaced by `***`, for printing.
 *
 * @example
 * ```ts
 * import { maskPassword } from "./postgres_table.ts";
 * maskPassword("postgres://qts:secret@db:5432/qts"); // => "postgres://qts:***@db:5432/qts"
 * ```
 */
export function maskPassword(url: string): string {
  try {
    const parsed = new URL(url);
    const secretParameters = SECRET_PARAMETERS.filter((name) => parsed.searchParams.has(name));
    if (parsed.password === "" && secretParameters.length === 0) return url;
    if (parsed.password !== "") parsed.password = "***";
    for (const name of secretParameters) parsed.searchParams.set(name, "***");
    return parsed.toString();
  } catch {
    return "(not a URL)";
  }
}
