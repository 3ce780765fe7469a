/**
 * Records into a PostgreSQL table (created when missing), in batches through `npm:postgres`:
 * one `INSERT ... SELECT FROM unnest(...) ON CONFLICT (run_id) DO NOTHING` per batch, so a replay
 * or a redelivery never duplicates a row. Same queue, policies and failure rules as the file
 * sink: while the database is down the queue is kept and retried with backoff, overflow is
 * counted, and the other sinks keep running. A row the database refuses for its content (a text
 * with `\u0000`, say) is counted as not written and the rest of its batch still goes in.
 *
 * @module
 */

import postgres from "postgres";
import type { PatternRecord } from "../contract/pattern_record.ts";
import type { Logger } from "../log/logging.ts";
import {
  backoffRetryDelayMs,
  type Batch,
  BatchingQueue,
  type QueueTuning,
  sinkStatsOf,
} from "./batching_queue.ts";
import { lineBytes } from "./json_lines.ts";
import {
  DEFAULT_POSTGRES_TABLE,
  POSTGRES_SINK_DEFAULTS,
  postgresEndpoint,
  postgresTableDdl,
  type PostgresTls,
} from "./postgres_table.ts";
import { closeQueueLogged, episodeLogging } from "./queue_logging.ts";
import type { Sink, SinkStats } from "./sink.ts";

/** Options of a {@linkcode PostgresSink}; queue defaults in `POSTGRES_SINK_DEFAULTS`. */
export interface PostgresSinkOptions extends QueueTuning {
  /** `postgres://user:password@host:port/database`; user defaults to `postgres`. */
  readonly url: string;
  /** Table to write (created when missing). Default {@linkcode DEFAULT_POSTGRES_TABLE}. */
  readonly table?: string;
  /** TLS mode. Default `disable`. */
  readonly tls?: PostgresTls;
  /** Name in logs and summaries. */
  readonly name: string;
  /** Receives failures, recoveries and refused rows. */
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

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: string }).code;
    return code !== undefined && !error.message.includes(code)
      ? `${code}: ${error.message}`
      : error.message;
  }
  return String(error);
}

/**
 * Writes records into a PostgreSQL table.
 *
 * @example
 * ```ts
 * import { PostgresSink } from "./postgres_sink.ts";
 * import { getObserverLogger } from "../log/logging.ts";
 * import type { PatternRecord } from "../contract/pattern_record.ts";
 * declare const record: PatternRecord;
 * await using sink = new PostgresSink({
 *   url: "postgres://postgres@127.0.0.1:5432/test",
 *   name: "db",
 *   logger: getObserverLogger("sink"),
 * });
 * await sink.write(record);
 * ```
 */
export class PostgresSink implements Sink<PatternRecord> {
  /** Name in logs and summaries. */
  readonly name: string;
  /** The table written. */
  readonly table: string;
  readonly #sql: postgres.Sql;
  readonly #queue: BatchingQueue<Row>;
  readonly #logger: Logger;
  readonly #ddl: string[];
  #tableReady = false;
  /** Rows the database refused for their content, and records without a run_id. */
  #refused = 0;
  #lastRefusal: string | undefined;
  #closed = false;

  /** Checks the options; connects lazily, on the first batch. */
  constructor(options: PostgresSinkOptions) {
    this.name = options.name;
    this.table = options.table ?? DEFAULT_POSTGRES_TABLE;
    this.#ddl = postgresTableDdl(this.table);
    this.#logger = options.logger;
    const url = new URL(options.url);
    postgresEndpoint(options.url);
    const tls = options.tls ?? "disable";
    // The options are given, so postgres.js looks for few PG* environment variables: PGAPPNAME,
    // PGTARGETSESSIONATTRS, PGSSLNEGOTIATION and, without a password in the URL, PGPASSWORD.
    // Some of these (max_pipeline, sslnegotiation) are read by postgres.js but not in its types.
    const connection: Record<string, unknown> = {
      user: decodeURIComponent(url.username) || "postgres",
      max: 1,
      ssl: tls === "disable" ? false : tls,
      idle_timeout: 0,
      connect_timeout: options.connectTimeoutSeconds ?? 10,
      max_lifetime: null,
      max_pipeline: 100,
      sslnegotiation: null,
      // Reconnects happen when the queue retries (with its own backoff), not inside the client.
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
    this.#queue = new BatchingQueue<Row>({
      maxBytes: options.maxQueueBytes ?? POSTGRES_SINK_DEFAULTS.maxQueueBytes,
      flushBytes: options.flushBytes ?? POSTGRES_SINK_DEFAULTS.flushBytes,
      flushIntervalMs: options.flushIntervalMs ?? POSTGRES_SINK_DEFAULTS.flushIntervalMs,
      whenFull: options.whenFull ?? POSTGRES_SINK_DEFAULTS.whenFull,
      sizeOf: (row) => lineBytes(row.json),
      write: (batch) => this.#writeBatch(batch),
      retryDelayMs: backoffRetryDelayMs,
      ...episodeLogging(this.#logger, this.name, `PostgreSQL table ${this.table}`, "with backoff"),
    });
  }

  /** Queues one record; a promise means the queue is full (`block`). */
  write(record: PatternRecord): void | Promise<void> {
    if (this.#closed) throw new Error(`${this.name} is closed: expected write() before close()`);
    const snapshot = record.snapshot;
    const runId = snapshot?.meta?.run_id;
    if (typeof runId !== "string" || runId === "") {
      this.#refuse("(none)", "a record without a run_id cannot be written idempotently");
      return;
    }
    const ms = snapshot.meta.timestamp_ms;
    return this.#queue.push({
      runId,
      timestampMs: typeof ms === "number" && Number.isSafeInteger(ms) ? ms : null,
      symbol: textOrNull(snapshot.context?.symbol),
      market: textOrNull(snapshot.context?.market),
      source: textOrNull(snapshot.context?.source),
      stage: textOrNull(snapshot.context?.stage),
      sessionId: textOrNull(snapshot.meta.session_id),
      guardAction: record.metadata.guard.action,
      json: JSON.stringify(record),
    });
  }

  /** Writes everything accepted so far; rejects while the database is failing. */
  async flush(): Promise<void> {
    try {
      await this.#queue.flush();
    } catch (error) {
      throw new Error(`${this.name}: cannot write to PostgreSQL: ${describe(error)}`);
    }
  }

  /**
   * Writes what is queued (one more attempt when failing), gives up on the rest (counted as
   * failed) and closes the connection. Never rejects.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await closeQueueLogged(this.#queue, this.#logger, this.name);
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

  /** Counters: refused rows count as not written. */
  stats(): SinkStats {
    const q = sinkStatsOf(this.#queue.stats());
    return {
      ...q,
      written: q.written - this.#refusedInQueue,
      failed: q.failed + this.#refused,
      failure: q.failure ?? this.#lastRefusal,
    };
  }

  /** Refused rows that the queue counted as done. */
  #refusedInQueue = 0;

  #refuse(runId: string, reason: string, fromQueue = false): void {
    this.#refused++;
    if (fromQueue) this.#refusedInQueue++;
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

  async #ensureTable(): Promise<void> {
    if (this.#tableReady) return;
    await this.#sql.begin(async (tx) => {
      // One process at a time creates the table and its indexes.
      await tx`SELECT pg_advisory_xact_lock(hashtext(${this.table}))`;
      for (const statement of this.#ddl) await tx.unsafe(statement);
    });
    this.#tableReady = true;
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

  async #writeBatch(batch: Batch<Row>): Promise<void> {
    await this.#ensureTable();
    const rows = batch.items;
    try {
      await this.#insert(rows);
      batch.done = rows.length;
      return;
    } catch (error) {
      if (!isRowError(error)) throw error;
    }
    // Some row's content is refused: write them one at a time, counting the refused ones.
    for (let i = batch.done; i < rows.length; i++) {
      try {
        await this.#insert([rows[i]]);
      } catch (error) {
        if (!isRowError(error)) throw error;
        this.#refuse(rows[i].runId, describe(error), true);
      }
      batch.done = i + 1;
    }
  }
}
