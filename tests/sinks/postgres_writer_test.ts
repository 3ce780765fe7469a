import assert from "node:assert/strict";
import {
  buildBlockedRecord,
  DEFAULT_RECORD_STAMP,
  type PatternRecord,
} from "../../src/contract/pattern_record.ts";
import { getObserverLogger } from "../../src/log/logging.ts";
import { PostgresWriter } from "../../src/sinks/postgres_writer.ts";
import { postgresTableDdl } from "../../src/sinks/postgres_table.ts";
import type { LoggedRecord } from "../../src/sinks/sink.ts";
import {
  SHARED_POSTGRES_URL,
  sharedPostgresUnavailable,
  startPrivateServer,
  testClient,
  uniqueTable,
} from "../helpers/postgres.ts";
import { syntheticRecord, syntheticSnapshot } from "../helpers/snapshot_file.ts";

const unavailable = await sharedPostgresUnavailable();
if (unavailable !== undefined) console.log(`skipped: postgres writer tests: ${unavailable}`);

const logged = (record: PatternRecord): LoggedRecord => ({
  record,
  line: JSON.stringify(record),
});

const logger = getObserverLogger("test");

Deno.test({
  name:
    "postgres writer: creates its table with its indexes, writes every record once with its columns (a batch sent again adds nothing)",
  ignore: unavailable !== undefined,
  async fn() {
    const table = uniqueTable("qts_writer");
    const sql = testClient();
    try {
      const batch = Array.from({ length: 3000 }, (_, i) => logged(syntheticRecord(i)));
      for (const round of [1, 2]) {
        await using writer = new PostgresWriter({
          url: SHARED_POSTGRES_URL,
          table,
          name: "db",
          logger,
        });
        assert.deepEqual(
          await writer.deliver(batch.slice(0, 1700)),
          { refused: 0 },
          `round ${round}`,
        );
        assert.deepEqual(await writer.deliver(batch.slice(1700)), { refused: 0 });
      }
      const [{ count, distinct }] = await sql`
        SELECT count(*)::int AS count, count(DISTINCT run_id)::int AS distinct FROM ${sql(table)}`;
      assert.deepEqual([count, distinct], [3000, 3000]);
      const rows = await sql`
        SELECT run_id, event_time, timestamp_ms, symbol, market, source, stage, session_id,
               guard_action, record::text AS record
        FROM ${sql(table)} WHERE run_id = 'r1234'`;
      const original = syntheticRecord(1234);
      assert.equal(rows[0].event_time.toISOString(), original.snapshot.meta.timestamp);
      assert.equal(Number(rows[0].timestamp_ms), original.snapshot.meta.timestamp_ms);
      assert.deepEqual(
        [rows[0].symbol, rows[0].market, rows[0].source, rows[0].stage, rows[0].session_id],
        [original.snapshot.context.symbol, "KRX", "market", "raw", "bench"],
      );
      assert.equal(rows[0].guard_action, "PASS");
      assert.deepEqual(JSON.parse(rows[0].record), JSON.parse(JSON.stringify(original)));
      const indexes = await sql`SELECT indexname FROM pg_indexes WHERE tablename = ${table}`;
      assert.deepEqual(indexes.map((i) => i.indexname).sort(), [
        `${table}_event_time_idx`,
        `${table}_pkey`,
        `${table}_session_idx`,
        `${table}_source_stage_idx`,
        `${table}_symbol_time_idx`,
      ]);
    } finally {
      await sql`DROP TABLE IF EXISTS ${sql(table)}`;
      await sql.end();
    }
  },
});

Deno.test({
  name:
    "postgres writer: a row the database refuses, or a record without run_id, is counted as refused; the rest of its batch still goes in",
  ignore: unavailable !== undefined,
  async fn() {
    const table = uniqueTable("qts_refuse");
    const sql = testClient();
    try {
      await using writer = new PostgresWriter({
        url: SHARED_POSTGRES_URL,
        table,
        name: "db",
        logger,
      });
      const batch = Array.from({ length: 100 }, (_, i) => {
        const r = syntheticRecord(i);
        if (i === 40) r.snapshot.observation.inputs.note = "nul \u0000 in text"; // jsonb refuses
        return logged(r);
      });
      batch.push(logged(buildBlockedRecord(
        { ...syntheticSnapshot(500), meta: {} } as never,
        DEFAULT_RECORD_STAMP,
        "2026-01-26T00:00:00.000Z",
        { reason: "meta.run_id: expected a text", blockedBy: "validation" },
      )));
      assert.deepEqual(await writer.deliver(batch), { refused: 2 });
      assert.equal(writer.refusals.count, 2);
      assert.match(writer.refusals.last ?? "", /22P05/);
      const [{ count }] = await sql`SELECT count(*)::int AS count FROM ${sql(table)}`;
      assert.equal(count, 99);
      const missing = await sql`SELECT 1 FROM ${sql(table)} WHERE run_id = 'r40'`;
      assert.equal(missing.length, 0);
    } finally {
      await sql`DROP TABLE IF EXISTS ${sql(table)}`;
      await sql.end();
    }
  },
});

Deno.test("postgres writer: table names are checked before any SQL is made", () => {
  assert.throws(() => postgresTableDdl("x; DROP TABLE y"), /expected a name like observer_records/);
  assert.match(
    postgresTableDdl("qts.records")[1],
    /CREATE INDEX IF NOT EXISTS records_event_time_idx ON qts\.records/,
  );
});

Deno.test("postgres writer: a server that dies while the table is being created makes deliver throw (the follower retries), never crashes the process; after a restart the batch goes in once", async (t) => {
  const server = await startPrivateServer();
  if (typeof server === "string") {
    console.log(`skipped: postgres crash test: ${server}`);
    t.step({ name: "needs a private PostgreSQL server", ignore: true, fn: () => {} });
    return;
  }
  const sql = testClient(server.url);
  try {
    // Another session holds the table's creation lock: the writer waits inside its DDL.
    await sql`SELECT pg_advisory_lock(hashtext('observer_records'))`;
    await using writer = new PostgresWriter({
      url: server.url,
      name: "db",
      logger,
      connectTimeoutSeconds: 2,
    });
    const batch = [logged(syntheticRecord(1))];
    const first = writer.deliver(batch).then(() => "delivered", (e: Error) => e.message);
    while (true) {
      const [{ waiting }] = await sql`
        SELECT count(*)::int AS waiting FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`;
      if (waiting > 0) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    await server.stop(); // the writer's connection drops in the middle of its DDL
    assert.match(await first, /CONNECTION_CLOSED|terminat|connection/i);
    await server.start();
    assert.deepEqual(await writer.deliver(batch), { refused: 0 });
    const check = testClient(server.url);
    try {
      const rows = await check`SELECT run_id FROM observer_records`;
      assert.deepEqual(rows.map((r) => r.run_id), ["r1"]);
    } finally {
      await check.end({ timeout: 1 });
    }
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
    await server.destroy();
  }
});
