import assert from "node:assert/strict";
import { join } from "node:path";
import {
  copyProject,
  fileLines,
  observerDir,
  parseSummaryLine,
  runScript,
} from "../helpers/project.ts";
import {
  SHARED_POSTGRES_URL,
  sharedPostgresUnavailable,
  testClient,
  uniqueTable,
} from "../helpers/postgres.ts";
import { snapshotLine, syntheticSnapshot } from "../helpers/snapshot_file.ts";

const unavailable = await sharedPostgresUnavailable();
if (unavailable !== undefined) console.log(`skipped: postgres fan-out test: ${unavailable}`);

Deno.test({
  name:
    "one recording fans out to a JSONL archive, a filtered review file and PostgreSQL (1 in 10), the same on a second run",
  ignore: unavailable !== undefined,
  async fn() {
    const root = await copyProject();
    const table = uniqueTable("qts_e2e");
    const config = join(root, "fan.jsonc");
    await Deno.writeTextFile(
      config,
      `{ "sinks": [
        { "type": "jsonl", "name": "archive", "file": "all.jsonl" },
        { "type": "jsonl", "name": "review", "file": "review.jsonl",
          "filter": { "any": [{ "guard": "BLOCK" }, { "where": "inputs.volume >= 149" }] } },
        { "type": "postgres", "name": "db", "url_env": "QTS_POSTGRES_URL", "table": "${table}",
          "filter": { "source": "market" }, "sample": { "every": 10 } }
      ] }`,
    );
    const blocked = new Set([3, 77]);
    const lines = [...Array(1000).keys()].map((i) =>
      blocked.has(i) ? snapshotLine(i).replace(/"price":\d+/, '"price":NaN') : snapshotLine(i)
    );
    const input = join(root, "in.jsonl");
    await Deno.writeTextFile(input, lines.join("\n") + "\n");

    // Worked out here, from the snapshots: every 10th passed record per symbol.
    const passed = [...Array(1000).keys()].filter((i) => !blocked.has(i)).map(syntheticSnapshot);
    const seen = new Map<string, number>();
    const expectedDb = passed.filter((s) => {
      const n = seen.get(s.context.symbol!) ?? 0;
      seen.set(s.context.symbol!, n + 1);
      return n % 10 === 0;
    }).map((s) => s.meta.run_id).sort();
    const expectedReview = [
      ...[...blocked].map((i) => `r${i}`),
      ...passed.filter((s) => (s.observation.inputs.volume as number) >= 149).map((s) =>
        s.meta.run_id
      ),
    ].sort();

    const sql = testClient();
    try {
      for (const round of [1, 2]) {
        await Deno.remove(join(observerDir(root), "all.jsonl")).catch(() => {});
        await Deno.remove(join(observerDir(root), "review.jsonl")).catch(() => {});
        const run = await runScript(root, {
          task: "observer",
          script: "observer.ts",
          args: ["--config", config, "--input", input],
          env: { QTS_POSTGRES_URL: SHARED_POSTGRES_URL },
        });
        assert.equal(run.code, 1, run.stderr); // two blocked snapshots
        const summary = parseSummaryLine(run.stdout);
        assert.deepEqual([summary.records, summary.blocked, summary.not_written], [
          "998",
          "2",
          "0",
        ]);
        const archive = await fileLines(join(observerDir(root), "all.jsonl"));
        assert.equal(archive.length, 998, `round ${round}`);
        const review = (await fileLines(join(observerDir(root), "review.jsonl")))
          .map((l) => JSON.parse(l).snapshot.meta.run_id).sort();
        assert.deepEqual(review, expectedReview, `round ${round}`);
        const rows = await sql`SELECT run_id FROM ${sql(table)} ORDER BY run_id`;
        assert.deepEqual(rows.map((r) => r.run_id), expectedDb, `round ${round}: no duplicates`);
        assert.match(
          run.stdout,
          new RegExp(
            `sink db: type=postgres written=${expectedDb.length} filtered=0 sampled=${
              998 - expectedDb.length
            } `,
          ),
        );
      }
    } finally {
      await sql`DROP TABLE IF EXISTS ${sql(table)}`;
      await sql.end();
    }
  },
});

Deno.test({
  name: "a postgres sink on a host the task does not grant exits 2 naming the flag to add",
  ignore: unavailable !== undefined,
  async fn() {
    const root = await copyProject();
    const config = join(root, "far.jsonc");
    await Deno.writeTextFile(
      config,
      `{ "sinks": [{ "type": "postgres", "url": "postgres://qts:secret@db.example:6543/qts", ` +
        `"tls": "require" }] }`,
    );
    const run = await runScript(root, {
      task: "observer",
      script: "observer.ts",
      args: ["--config", config],
      stdin: snapshotLine(0) + "\n",
    });
    assert.equal(run.code, 2, run.stderr);
    assert.match(
      run.stderr,
      /no network access to PostgreSQL at db\.example:6543.*--allow-net=db\.example:6543/,
    );
    assert.ok(!run.stderr.includes("secret"), "the password is never printed");
    const check = await runScript(root, {
      task: "observer",
      script: "observer.ts",
      args: ["config", "check", config],
    });
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stdout, /"url": "postgres:\/\/qts:\*\*\*@db\.example:6543\/qts"/);
  },
});
