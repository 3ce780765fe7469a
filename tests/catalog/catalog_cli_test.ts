/**
 * `observer.ts catalog build|verify|gaps` and `observer.ts query`, run as a user runs them: in a
 * copy of the project, with the permission flags of the `catalog` and `query` tasks (read `.`,
 * write only `data/observer/catalog`, FFI for DuckDB).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { copyProject, taskPermissionFlags } from "../helpers/project.ts";
import { tempDir } from "../helpers/temp.ts";
import { simulatedRecordLines, specialRecordLines, writeLines } from "./catalog_fixtures.ts";

async function run(root: string, task: "catalog" | "query", args: string[]) {
  const flags = await taskPermissionFlags(task, root);
  const sub = task === "catalog" ? ["catalog"] : ["query"];
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, join(root, "observer.ts"), ...sub, ...args],
    cwd: await tempDir("catalog-cwd"),
    env: { NO_COLOR: "1", INIT_CWD: root },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

Deno.test("catalog CLI: build, verify, query (table, --json, --csv), gaps, refusals", async () => {
  const root = await copyProject();
  const data = join(root, "data", "observer");
  const sim = simulatedRecordLines(30, Date.UTC(2026, 4, 4, 1, 0, 0), 9);
  // A 10-minute hole for every symbol after tick 19.
  const shifted = sim.map((line, i) =>
    i < 80
      ? line
      : line.replace(/"timestamp_ms":(\d+)/, (_, ms) => `"timestamp_ms":${Number(ms) + 600_000}`)
  );
  await writeLines(join(data, "sim.jsonl"), shifted);
  await writeLines(join(data, "special.jsonl"), specialRecordLines());

  const query0 = await run(root, "query", ["SELECT 1"]);
  assert.equal(query0.code, 2);
  assert.match(query0.stderr, /no partitions in .*: expected a catalog/);

  const build = await run(root, "catalog", ["build", "data/observer"]);
  assert.equal(build.code, 0, build.stderr);
  assert.match(
    build.stdout,
    /^catalog: read=2 unchanged=0 skipped=0 records=124 added=124 duplicates=0 bad_lines=0 no_event_time=0 partitions_written=2 rows=124 dir=data\/observer\/catalog$/m,
  );
  // Nothing written outside the catalog directory.
  const entries = [...Deno.readDirSync(data)].map((e) => e.name).sort();
  assert.deepEqual(entries, ["catalog", "sim.jsonl", "special.jsonl"]);

  const verify = await run(root, "catalog", ["verify"]);
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  assert.equal(verify.stdout, "verify: ok partitions=2 rows=124 sources=2\n");

  const json = await run(root, "query", [
    "--json",
    "SELECT date, symbol, count(*) AS n, max(volume) AS v, min(event_time) AS t FROM records " +
    "WHERE symbol = '005930' GROUP BY ALL ORDER BY date",
  ]);
  assert.equal(json.code, 0, json.stderr);
  const parsed = JSON.parse(json.stdout);
  assert.equal(parsed.length, 2);
  assert.deepEqual(Object.keys(parsed[0]), ["date", "symbol", "n", "v", "t"]);
  assert.equal(parsed[0].date, "2026-01-27");
  assert.equal(parsed[0].n, 2);
  assert.equal(parsed[0].v, 9007199254740992);
  assert.equal(parsed[1].date, "2026-05-04");
  assert.equal(parsed[1].n, 30);
  assert.equal(parsed[1].t, "2026-05-04T01:00:00.000Z");

  const csv = await run(root, "query", [
    "--csv",
    "SELECT symbol, hints, state_json FROM records WHERE run_id = 'special-0'",
  ]);
  assert.equal(csv.code, 0, csv.stderr);
  assert.equal(
    csv.stdout,
    'symbol,hints,state_json\n005930,,"{""note"":""삼성전자 — ok"",""deep"":{""a"":[1,2.50,null,true]}}"\n',
  );

  const table = await run(root, "query", ["SELECT count(*) AS n FROM records"]);
  assert.equal(table.code, 0, table.stderr);
  assert.equal(table.stdout, "┌─────┐\n│ n   │\n│ 124 │\n└─────┘\n1 row\n");

  const gaps = await run(root, "catalog", ["gaps", "--min-seconds", "120", "--json"]);
  assert.equal(gaps.code, 0, gaps.stderr);
  const listed = JSON.parse(gaps.stdout);
  assert.deepEqual(listed.map((g: { symbol: string }) => g.symbol), [
    "000660",
    "005930",
    "005930",
    "035420",
    "051910",
  ]);
  const sim005930 = listed.find((g: { date: string; symbol: string }) =>
    g.symbol === "005930" && g.date === "2026-05-04"
  );
  assert.deepEqual(sim005930, {
    symbol: "005930",
    date: "2026-05-04",
    gap_from: "2026-05-04T01:00:19.000Z",
    gap_to: "2026-05-04T01:10:20.000Z",
    seconds: 601,
  });
  const oneSymbol = await run(root, "catalog", ["gaps", "--symbols", "051910", "--csv"]);
  assert.equal(
    oneSymbol.stdout,
    "symbol,date,gap_from,gap_to,seconds\n051910,2026-05-04,2026-05-04T01:00:19.000Z,2026-05-04T01:10:20.000Z,601\n",
  );

  for (const sql of ["DELETE FROM records", "CREATE TABLE t AS SELECT 1"]) {
    const refused = await run(root, "query", [sql]);
    assert.equal(refused.code, 2, sql);
    assert.match(refused.stderr, /^error: /, sql);
  }
  const outside = await run(root, "query", [`SELECT * FROM read_text('${root}/deno.json')`]);
  assert.equal(outside.code, 2);
  assert.match(outside.stderr, /disabled by configuration/);
});

Deno.test("catalog CLI: build with no inputs or a missing one exits 2", async () => {
  const root = await copyProject();
  const none = await run(root, "catalog", ["build"]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /expected record files or directories/);
  const missing = await run(root, "catalog", ["build", "data/observer/nope.jsonl"]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read .*nope\.jsonl: no such file or directory/);
});
