/**
 * Writes batches of logged records into a PostgreSQL table (created when missing) through
 * `npm:postgres`: one `INSERT ... SELECT FROM unnest(...) ON CONFLICT (run_id) DO NOTHING` per
 * batch, so a batch sent again after a failure or a crash never duplicates a row. A row the
 * database refuses for its content (a text with `\u0000`, say) is counted and logged, and the
 * rest of its batch still goes in. The follower of the log drives it (`follow/follower.ts`).
 *
 * @module
 */

import postgres from "postgres";
import type { Logger } from "../log/logging.ts";
import {
  DEFAULT_POSTGRES_TABLE,
  postgresEndpoint,
  postgresTableDdl,
  type PostgresTls,
} from "./postgres_table.ts";
import { effectivePostgresTls } from "./postgres_security.ts";
import {
  explainPostgresError,
  isPostgresSetupError,
  type PostgresConnectionContext,
  postgresSslOption,
  readPostgresSecrets,
} from "./postgres_connection.ts";
import type { BatchDestination, Delivery, LoggedRecord } from "./sink.ts";

/** Options of a {@linkcode PostgresWriter}. */
export interface PostgresWriterOptions {
  /** `postgres://user:password@host:port/database`; user defaults to `postgres`. */
  readonly url: string;
  /** Table to write (created when missing). Default {@linkcode DEFAULT_POSTGRES_TABLE}. */
  readonly table?: string;
  /**
   * TLS mode. Default: the URL's `sslmode`, else `disable` for a loopback host (any other host
   * must be given one); a `tls` that disagrees with the URL's `sslmode` is refused.
   */
  readonly tls?: PostgresTls;
  /** PEM file of the CA(s) the server's certificate must chain to (`verify-ca`/`verify-full`). */
  readonly tlsCaFile?: string;
  /** PEM file of a client certificate (with `tlsKeyFile`). */
  readonly tlsCertFile?: string;
  /** PEM file of the client certificate's key (mode 600 or less). */
  readonly tlsKeyFile?: string;
  /** The password (e.g. read from an environment variable); not with one in the URL. */
  readonly password?: string;
  /** A file holding the password on one line (mode 600 or less); not with one in the URL. */
  readonly passwordFile?: string;
  /** Name in logs and summaries. */
  readonly name: string;
  /** Receives refused rows. */
  readonly logger: Logger;
  /** Seconds to wait for a connection. Default 10. */
  readonly connectTimeoutSeconds?: number;
}

/** The columns of one row, taken from the record. */
interface Row {
  readonly runId: string;
  readonly timestampMs: number | null;
  readonly symbol: string | null;
  readonly market: string | null;
  readonly source: string | null;
  readonly stage: string | null;
  readonly sessionId: string | null;
  readonly guardAction: string;
  readonly json: string;
}

/** Refused records logged one by one; the rest are counted in one line at close. */
const MAX_REFUSALS_LOGGED = 20;

const textOrNull = (value: unknown): string | null => typeof value === "string" ? value : null;

/** True for an error about a row's content (SQLSTATE classes 22 and 23), not the connection. */
function isRowError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  const name = (error as { name?: unknown })?.name;
  return name === "PostgresError" && typeof code === "string" &&
    (code.startsWith("22") || code.startsWith("23"));
}

/** An error's message with its SQLSTATE, for logs. */
export function describePostgresError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: string }).code;
    return code !== undefined && !error.message.includes(code)
      ? `${code}: ${error.message}`
      : error.message;
  }
  return String(error);
}

/** The row of a logged record, or why it cannot be one (no run_id). */
function rowOf({ record, line }: LoggedRecord): Row | string {
  const snapshot = record.snapshot;
  const runId = snapshot?.meta?.run_id;
  if (typeof runId !== "string" || runId === "") {
    return "a record without a run_id cannot be written idempotently";
  }
  const ms = snapshot.meta.timestamp_ms;
  return {
    runId,
    timestampMs: typeof ms === "number" && Number.isSafeInteger(ms) ? ms : null,
    symbol: textOrNull(snapshot.context?.symbol),
    market: textOrNull(snapshot.context?.market),
    source: textOrNull(snapshot.context?.source),
    stage: textOrNull(snapshot.context?.stage),
    sessionId: textOrNull(snapshot.meta.session_id),
    guardAction: record.metadata?.guard?.action ?? "PASS",
    json: line,
  };
}

/**
 * Delivers batches of logged records into a PostgreSQL table.
 *
 * @example
 * ```ts
 * import { PostgresWriter } from "./postgres_writer.ts";
 * import { getObserverLogger } from "../log/logging.ts";
 * import type { LoggedRecord } from "./sink.ts";
 * declare const batch: LoggedRecord[];
 * await using writer = new PostgresWriter({
 *   url: "postgres://postgres@127.0.0.1:5432/test",
 *   name: "db",
 *   logger: getObserverLogger("sink"),
 * });
 * await writer.deliver(batch);
 * ```
 */
export class PostgresWriter implements BatchDestination {
  /** Name in logs and summaries. */
  readonly name: string;
  /** The table written. */
  readonly table: string;
  /** `PostgreSQL table <table> at <host>:<port>`. */
  readonly description: string;
  readonly #sql: postgres.Sql;
  readonly #context: PostgresConnectionContext;
  readonly #logger: Logger;
  readonly #ddl: string[];
  /** The table's creation, once started (forgotten when it failed, so the next batch retries). */
  #tableReady: Promise<void> | undefined;
  #refused = 0;
  #lastRefusal: string | undefined;

  /**
   * Checks the options and reads the TLS and password files (throwing an error that names the
   * problem, never a secret); connects lazily, on the first batch or {@linkcode checkStart}.
   */
  constructor(options: PostgresWriterOptions) {
    this.name = options.name;
    this.table = options.table ?? DEFAULT_POSTGRES_TABLE;
    this.#ddl = postgresTableDdl(this.table);
    this.#logger = options.logger;
    const url = new URL(options.url);
    const { host, port } = postgresEndpoint(options.url);
    this.description = `PostgreSQL table ${this.table} at ${host}:${port}`;
    const tls = effectivePostgresTls(options.url, options, "url");
    if (tls.problem !== undefined) throw new RangeError(`sink ${this.name}: ${tls.problem}`);
    const given = [
      ...(url.password === "" ? [] : ["the URL"]),
      ...(options.password === undefined ? [] : ["password"]),
      ...(options.passwordFile === undefined ? [] : ["password_file"]),
    ];
    if (given.length > 1) {
      throw new RangeError(
        `sink ${this.name}: expected the password in one place, got it in ${given.join(" and ")}`,
      );
    }
    let secrets;
    try {
      secrets = readPostgresSecrets(options);
    } catch (error) {
      throw new Error(`sink ${this.name}: ${(error as Error).message}`);
    }
    const user = decodeURIComponent(url.username) || "postgres";
    this.#context = {
      endpoint: `${host}:${port}`,
      mode: tls.mode,
      caFile: options.tlsCaFile,
      user,
    };
    const password = options.password ?? secrets.password;
    // The options are given, so postgres.js looks for few PG* environment variables: PGAPPNAME,
    // PGTARGETSESSIONATTRS, PGSSLNEGOTIATION and, without a password here or in the URL,
    // PGPASSWORD. Some of these (max_pipeline, sslnegotiation) are read by postgres.js but not in
    // its types. `ssl` is always given, so the URL's sslmode (checked above) is not read again.
    const connection: Record<string, unknown> = {
      user,
      ...(password === undefined ? {} : { pass: password }),
      max: 1,
      ssl: postgresSslOption(tls.mode, host, secrets),
      idle_timeout: 0,
      connect_timeout: options.connectTimeoutSeconds ?? 10,
      max_lifetime: null,
      max_pipeline: 100,
      sslnegotiation: null,
      // Reconnects happen when the follower retries (with its own backoff), not in the client.
      backoff: () => 0,
      keep_alive: 60,
      prepare: true,
      debug: false,
      fetch_types: true,
      publications: "alltables",
      onnotice: () => {},
      connection: { application_name: "qts-observer" },
    };
    this.#sql = postgres(options.url, connection as postgres.Options<Record<string, never>>);
  }

  /**
   * Two: the follower reads and selects the next batch while the database inserts this one (the
   * statements are pipelined on the one connection, each its own transaction; rows are unique on
   * `run_id`, so a batch sent again after a failure adds nothing twice).
   */
  get batchesInFlight(): number {
    return 2;
  }

  /** The TLS mode the connection uses. */
  get tls(): PostgresTls {
    return this.#context.mode;
  }

  /**
   * Connects once, at start-up: throws (the connection closed) when the server cannot be used as
   * configured and waiting would not change it — the login refused, the certificate not trusted
   * or not naming the host, no TLS where TLS is required — with a message that says so. An
   * outage (nothing listening, a timeout) is not thrown: the follower retries it.
   */
  async checkStart(): Promise<void> {
    try {
      await this.#sql`SELECT 1`;
    } catch (error) {
      if (isPostgresSetupError(error, this.#context.mode)) {
        throw explainPostgresError(error, this.#context);
      }
    }
  }

  /** Rows refused so far, and the reason of the last. */
  get refusals(): { readonly count: number; readonly last?: string } {
    return { count: this.#refused, last: this.#lastRefusal };
  }

  /**
   * Inserts the batch in one statement (rows already there are kept as they are). When a row's
   * content is refused, inserts the rows one by one and counts the refused ones. Throws on a
   * connection or server failure: nothing of the batch is then known to be in, and it is sent
   * again.
   */
  async deliver(batch: readonly LoggedRecord[]): Promise<Delivery> {
    const rows: Row[] = [];
    let refused = 0;
    for (const logged of batch) {
      const row = rowOf(logged);
      if (typeof row === "string") {
        this.#refuse(String(logged.record.snapshot?.meta?.run_id ?? "(none)"), row);
        refused++;
      } else {
        rows.push(row);
      }
    }
    if (rows.length === 0) return { refused };
    try {
      await this.#ensureTable();
    } catch (error) {
      throw explainPostgresError(error, this.#context);
    }
    try {
      await this.#insert(rows);
      return { refused };
    } catch (error) {
      if (!isRowError(error)) throw explainPostgresError(error, this.#context);
    }
    for (const row of rows) {
      try {
        await this.#insert([row]);
      } catch (error) {
        if (!isRowError(error)) throw explainPostgresError(error, this.#context);
        this.#refuse(row.runId, describePostgresError(error));
        refused++;
      }
    }
    return { refused };
  }

  /** Closes the connection (waiting 5 s at most for a query in flight). Never rejects. */
  async close(): Promise<void> {
    if (this.#refused > MAX_REFUSALS_LOGGED) {
      this.#logger.error("{sink} refused {refused} record(s) in all, the last for: {reason}", {
        sink: this.name,
        refused: this.#refused,
        reason: this.#lastRefusal,
      });
    }
    await this.#sql.end({ timeout: 5 }).catch(() => {});
  }

  /** Same as {@linkcode close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #refuse(runId: string, reason: string): void {
    this.#refused++;
    this.#lastRefusal = reason;
    // The first ones name their run_id; after that only the count (at close), not a flood.
    if (this.#refused <= MAX_REFUSALS_LOGGED) {
      this.#logger.error("{sink} refused record {runId}: {reason}", {
        sink: this.name,
        runId,
        reason,
      });
    }
  }

  /**
   * Creates the table and its indexes, one process at a time (an advisory lock), in one
   * simple-protocol message: PostgreSQL runs it as one implicit transaction, and no client-side
   * `BEGIN`/`ROLLBACK` is sent. (postgres.js's `begin()` writes its `ROLLBACK` on a connection
   * that dropped mid-transaction and crashes the process with an uncaught TypeError: its issue
   * #1208.) The table name passed `postgresTableDdl`'s pattern, so it is safe as a literal.
   */
  #ensureTable(): Promise<void> {
    if (this.#tableReady === undefined) {
      const lock = `SELECT pg_advisory_xact_lock(hashtext('${this.table}'))`;
      const ready = this.#sql.unsafe([lock, ...this.#ddl].join(";\n")).simple().then(() => {});
      this.#tableReady = ready;
      ready.catch(() => {
        if (this.#tableReady === ready) this.#tableReady = undefined;
      });
    }
    return this.#tableReady;
  }

  /**
   * One statement per batch. The small columns go as arrays; the records go as one JSON array
   * text (they are JSON already, so nothing is escaped on this side), paired by position.
   */
  async #insert(rows: readonly Row[]): Promise<void> {
    const sql = this.#sql;
    let records = "[";
    for (let i = 0; i < rows.length; i++) records += i === 0 ? rows[i].json : "," + rows[i].json;
    records += "]";
    await sql`
      INSERT INTO ${sql(this.table)}
        (run_id, event_time, timestamp_ms, symbol, market, source, stage, session_id,
         guard_action, record)
      SELECT u.r, to_timestamp(0) + u.t * interval '1 millisecond', u.t, u.sy, u.m, u.so, u.st,
             u.se, u.g, j.value
      FROM unnest(
        ${rows.map((r) => r.runId)}::text[],
        ${rows.map((r) => r.timestampMs)}::bigint[],
        ${rows.map((r) => r.symbol)}::text[],
        ${rows.map((r) => r.market)}::text[],
        ${rows.map((r) => r.source)}::text[],
        ${rows.map((r) => r.stage)}::text[],
        ${rows.map((r) => r.sessionId)}::text[],
        ${rows.map((r) => r.guardAction)}::text[]
      ) WITH ORDINALITY AS u(r, t, sy, m, so, st, se, g, n)
      JOIN jsonb_array_elements((${records}::text)::jsonb) WITH ORDINALITY AS j(value, n) ON j.n = u.n
      ON CONFLICT (run_id) DO NOTHING`;
  }
}
