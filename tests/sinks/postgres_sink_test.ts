import assert from "node:assert/strict";
import {
  buildBlockedRecord,
  buildPatternRecord,
  DEFAULT_RECORD_STAMP,
  type PatternRecord,
} from "../../src/contract/pattern_record.ts";
import { getObserverLogger } from "../../src/log/logging.ts";
import { PostgresSink } from "../../src/sinks/postgres_sink.ts";
import { postgresTableDdl } from "../../src/sinks/postgres_table.ts";
import {
  SHARED_POSTGRES_URL,
  sharedPostgresUnavailable,
  startPrivateServer,
  testClient,
  uniqueTable,
} from "../helpers/postgres.ts";
import { syntheticSnapshot } from "../helpers/snapshot_file.ts";

const unavailable = await sharedPostgresUnavailable();
if (unavailable !== undefined) console.log(`skipped: postgres sink tests: ${unavailable}`);

function record(i: number): PatternRecord {
  const s = syntheticSnapshot(i);
  return buildPatternRecord(s, DEFAULT_RECORD_STAMP, s.meta.timestamp);
}

const logger = getObserverLogger("test");

Deno.test({
  name:
    "postgres sink: creates its table, writes every record once (a second write of the same run_ids adds nothing)",
  ignore: unavailable !== undefined,
  async fn() {
    const table = uniqueTable("qts_sink");
    const sql = testClient();
    try {
      const records = Array.from({ length: 3000 }, (_, i) => record(i));
      for (const round of [1, 2]) {
        const sink = new PostgresSink({ url: SHARED_POSTGRES_URL, table, name: "db", logger });
        for (const r of records) await sink.write(r);
        await sink.close();
        const { flushSeconds, ...counters } = sink.stats();
        assert.ok(flushSeconds !== undefined && flushSeconds.count >= 1);
        assert.deepEqual(counters, {
          written: 3000,
          dropped: 0,
          failed: 0,
          failure: undefined,
          failing: false,
          queuedBytes: 0,
          maxQueueBytes: 4194304,
        }, `round ${round}`);
      }
      const [{ count, distinct }] = await sql`
        SELECT count(*)::int AS count, count(DISTINCT run_id)::int AS distinct FROM ${sql(table)}`;
      assert.deepEqual([count, distinct], [3000, 3000]);
      const rows = await sql`
        SELECT run_id, event_time, timestamp_ms, symbol, market, source, stage, session_id,
               guard_action, record::text AS record
        FROM ${sql(table)} WHERE run_id = 'r1234'`;
      const original = records[1234];
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
    "postgres sink: a row the database refuses is counted as not written, the rest of its batch still goes in",
  ignore: unavailable !== undefined,
  async fn() {
    const table = uniqueTable("qts_refuse");
    const sql = testClient();
    try {
      const sink = new PostgresSink({ url: SHARED_POSTGRES_URL, table, name: "db", logger });
      for (let i = 0; i < 100; i++) {
        const r = record(i);
        if (i === 40) r.snapshot.observation.inputs.note = "nul \u0000 in text"; // jsonb refuses
        await sink.write(r);
      }
      const blocked = buildBlockedRecord(
        { ...syntheticSnapshot(500), meta: {} } as never,
        DEFAULT_RECORD_STAMP,
        "2026-01-26T00:00:00.000Z",
        { reason: "meta.run_id: expected a text", blockedBy: "validation" },
      );
      await sink.write(blocked); // no run_id: cannot be written idempotently
      await sink.close();
      const stats = sink.stats();
      assert.deepEqual([stats.written, stats.failed], [99, 2]);
      assert.match(stats.failure ?? "", /run_id|22P05/);
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

Deno.test("postgres sink: table names are checked before any SQL is made", () => {
  assert.throws(() => postgresTableDdl("x; DROP TABLE y"), /expected a name like observer_records/);
  assert.match(
    postgresTableDdl("qts.records")[1],
    /CREATE INDEX IF NOT EXISTS records_event_time_idx ON qts\.records/,
  );
});

Deno.test("postgres sink: records accepted while the server is down all arrive, once, after it comes back", async (t) => {
  const server = await startPrivateServer();
  if (typeof server === "string") {
    console.log(`skipped: postgres outage test: ${server}`);
    t.step({ name: "needs a private PostgreSQL server", ignore: true, fn: () => {} });
    return;
  }
  const sql = testClient(server.url);
  try {
    const sink = new PostgresSink({
      url: server.url,
      name: "db",
      logger,
      flushIntervalMs: 5,
      connectTimeoutSeconds: 2,
    });
    // A steady producer; the server dies a third of the way in and is back at two thirds.
    for (let i = 0; i < 3000; i++) {
      await sink.write(record(i));
      if (i % 50 === 49) await new Promise((r) => setTimeout(r, 2));
      if (i === 1000) {
        await server.stop(); // immediate: like a crash, batches in flight are cut off
      }
      if (i === 2000) {
        assert.ok(sink.stats().failure, "the sink noticed the outage");
        assert.equal(sink.stats().failed, 0, "the queue holds what arrives meanwhile");
        await server.start();
      }
    }
    await sink.close();
    assert.deepEqual(
      [sink.stats().written, sink.stats().failed, sink.stats().dropped],
      [3000, 0, 0],
    );
    const [{ count, distinct }] = await sql`
      SELECT count(*)::int AS count, count(DISTINCT run_id)::int AS distinct
      FROM observer_records`;
    assert.deepEqual([count, distinct], [3000, 3000], "every record once");
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
    await server.destroy();
  }
});
