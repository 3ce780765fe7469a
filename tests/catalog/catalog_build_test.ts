import assert from "node:assert/strict";
import { join } from "node:path";
import { buildCatalog } from "../../src/catalog/catalog_build.ts";
import type { CatalogManifest, PartitionManifest } from "../../src/catalog/catalog_manifest.ts";
import { openCatalogEngine } from "../../src/catalog/duckdb_engine.ts";
import { acquireRecordLock } from "../../src/sinks/record_lock.ts";
import {
  buildProject,
  copyDir,
  recordsProject,
  simulatedRecordLines,
  standardCatalog,
  standardFiles,
  treeDigests,
  writeLines,
} from "./catalog_fixtures.ts";
import { tempDir } from "../helpers/temp.ts";

async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await Deno.readTextFile(path)) as T;
}

async function rows(catalogDir: string, sql: string): Promise<unknown[][]> {
  using engine = await openCatalogEngine({ allowedDir: catalogDir, threads: 1 });
  const glob = `${catalogDir}/date=*/part-0.parquet`;
  await engine.connection.run(
    `CREATE VIEW records AS SELECT * FROM read_parquet('${glob}', hive_partitioning = true)`,
  );
  return (await engine.connection.runAndReadAll(sql)).getRowsJS();
}

Deno.test("build: one partition per UTC event date, every record once, rows by symbol then time", async () => {
  const project = await standardCatalog();
  const catalog = await readJson<CatalogManifest>(join(project.catalogDir, "_catalog.json"));
  assert.deepEqual(
    catalog.partitions.map((p) => [p.file, p.rows]),
    [
      ["date=2026-01-26/part-0.parquet", 1512],
      ["date=2026-01-27/part-0.parquet", 4],
      ["date=2026-01-28/part-0.parquet", 2000],
    ],
  );
  assert.equal(catalog.rows, 3516);
  assert.deepEqual(
    catalog.sources.map((s) => [s.file, s.records, s.lines, s.duplicates]),
    [
      ["data/observer/kis.jsonl", 1512, 1512, 0],
      ["data/observer/sim.jsonl", 2000, 2000, 0],
      ["data/observer/special.jsonl", 4, 4, 0],
    ],
  );
  // Sorted: symbol (nulls last), then event time, then run_id, in each file.
  const order = await rows(
    project.catalogDir,
    `SELECT count(*) FROM (SELECT symbol, timestamp_ms, run_id, filename,
       lag(symbol) OVER (PARTITION BY filename ORDER BY file_row_number) AS ps,
       lag(timestamp_ms) OVER (PARTITION BY filename ORDER BY file_row_number) AS pt
     FROM read_parquet('${project.catalogDir}/date=*/part-0.parquet', filename = true,
       file_row_number = true))
     WHERE ps > symbol OR (ps = symbol AND pt > timestamp_ms) OR (ps IS NULL AND symbol IS NOT NULL AND pt IS NOT NULL)`,
  );
  assert.equal(Number(order[0][0]), 0);
  // The partition manifest's per-symbol figures.
  const day = await readJson<PartitionManifest>(
    join(project.catalogDir, "date=2026-01-28", "_manifest.json"),
  );
  assert.equal(day.parquet.rows, 2000);
  assert.deepEqual(day.symbols.map((s) => s.symbol), ["000660", "005930", "035420", "051910"]);
  assert.deepEqual(day.symbols[0], {
    symbol: "000660",
    count: 500,
    first_event_time: "2026-01-28T00:00:00.000Z",
    last_event_time: "2026-01-28T00:08:19.000Z",
    largest_gap_ms: 1000,
    largest_gap_from: "2026-01-28T00:00:00.000Z",
    largest_gap_to: "2026-01-28T00:00:01.000Z",
  });
  assert.deepEqual(day.sources.map((s) => [s.file, s.rows]), [["data/observer/sim.jsonl", 2000]]);
  const special = await readJson<PartitionManifest>(
    join(project.catalogDir, "date=2026-01-27", "_manifest.json"),
  );
  assert.deepEqual(special.symbols.map((s) => [s.symbol, s.count, s.largest_gap_ms]), [
    ["005930", 2, 270_000],
    ["삼성", 1, null],
    [null, 1, null],
  ]);
});

Deno.test("build: the same inputs give byte-identical files; a second build reads nothing", async () => {
  const a = await standardCatalog();
  const b = await recordsProject(await standardFiles());
  // The same record files under another root, built in another order of directories.
  for (const name of ["kis.jsonl", "sim.jsonl", "special.jsonl"]) {
    await Deno.copyFile(join(a.dataDir, name), join(b.dataDir, name));
  }
  await buildProject(b);
  assert.deepEqual(await treeDigests(b.catalogDir), await treeDigests(a.catalogDir));
  const again = await buildProject(b);
  assert.deepEqual(again.sourcesRead, []);
  assert.equal(again.sourcesUnchanged.length, 3);
  assert.deepEqual(again.partitionsWritten, []);
  assert.deepEqual(await treeDigests(b.catalogDir), await treeDigests(a.catalogDir));
});

Deno.test("build: adding a day rewrites that day's partition only; a run_id already in is never added twice", async () => {
  const project = await recordsProject({
    "day1.jsonl": simulatedRecordLines(50, Date.UTC(2026, 1, 2, 9, 0, 0), 1),
  });
  await buildProject(project);
  const before = await treeDigests(project.catalogDir);
  const day2 = simulatedRecordLines(50, Date.UTC(2026, 1, 3, 9, 0, 0), 2);
  await writeLines(join(project.dataDir, "day2.jsonl"), day2);
  // The same records again under another name (a merged copy, say): all duplicates.
  await Deno.copyFile(join(project.dataDir, "day1.jsonl"), join(project.dataDir, "copy.jsonl"));
  const result = await buildProject(project);
  assert.deepEqual(result.sourcesRead.sort(), [
    "data/observer/copy.jsonl",
    "data/observer/day2.jsonl",
  ]);
  assert.deepEqual(result.partitionsWritten, ["date=2026-02-03"]);
  assert.equal(result.added, 200);
  assert.equal(result.duplicates, 200);
  assert.equal(result.totalRows, 400);
  const after = await treeDigests(project.catalogDir);
  assert.equal(after["date=2026-02-02/part-0.parquet"], before["date=2026-02-02/part-0.parquet"]);
  assert.equal(after["date=2026-02-02/_manifest.json"], before["date=2026-02-02/_manifest.json"]);
  // Records of a day already in the catalog are merged into its file, old rows kept.
  const late = simulatedRecordLines(60, Date.UTC(2026, 1, 2, 9, 0, 0), 1).slice(200);
  await writeLines(join(project.dataDir, "late.jsonl"), late);
  const third = await buildProject(project);
  assert.deepEqual(third.partitionsWritten, ["date=2026-02-02"]);
  assert.equal(third.added, 40);
  assert.equal(third.totalRows, 440);
  const counted = await rows(
    project.catalogDir,
    "SELECT count(*), count(DISTINCT run_id) FROM records WHERE date = '2026-02-02'",
  );
  assert.deepEqual(counted[0].map(Number), [240, 240]);
});

Deno.test("build: a file a writer holds is left out; a rotated file before its newest is taken; never past the last whole line", async () => {
  const project = await recordsProject({});
  const lines = simulatedRecordLines(10, Date.UTC(2026, 2, 1, 0, 0, 0), 3);
  await writeLines(join(project.dataDir, "live.jsonl"), lines.slice(0, 8));
  await writeLines(join(project.dataDir, "live_20260301_0000.jsonl"), lines.slice(8, 16));
  await writeLines(join(project.dataDir, "live_20260301_0001.jsonl"), lines.slice(16, 24));
  // A torn last line (no newline) in a finished file: not read.
  await Deno.writeTextFile(
    join(project.dataDir, "torn.jsonl"),
    lines.slice(24, 30).join("\n") + "\n" + lines[30].slice(0, 100),
  );
  using _lock = await acquireRecordLock(project.dataDir, "live", "live.jsonl");
  const result = await buildProject(project);
  assert.deepEqual(result.skipped.map((s) => s.file).sort(), [
    "data/observer/live.jsonl",
    "data/observer/live_20260301_0001.jsonl",
  ]);
  assert.deepEqual(result.sourcesRead.sort(), [
    "data/observer/live_20260301_0000.jsonl",
    "data/observer/torn.jsonl",
  ]);
  assert.equal(result.added, 14);
  const catalog = await readJson<CatalogManifest>(join(project.catalogDir, "_catalog.json"));
  const torn = catalog.sources.find((s) => s.file === "data/observer/torn.jsonl")!;
  assert.equal(torn.lines, 6);
  assert.equal(torn.bytes, new TextEncoder().encode(lines.slice(24, 30).join("\n") + "\n").length);
});

Deno.test("build: the engine touches nothing outside the catalog directory", async () => {
  const project = await standardCatalog();
  const copy = await tempDir("catalog-fence");
  await copyDir(project.root, copy);
  const catalogDir = join(copy, "data", "observer", "catalog");
  using engine = await openCatalogEngine({ allowedDir: catalogDir, threads: 1 });
  await assert.rejects(
    () => engine.connection.run(`COPY (SELECT 1) TO '${copy}/outside.csv'`),
    /disabled by configuration/,
  );
  await assert.rejects(
    () => engine.connection.run(`SELECT * FROM read_text('${copy}/data/observer/kis.jsonl')`),
    /disabled by configuration/,
  );
  await assert.rejects(
    () => engine.connection.run("SET enable_external_access = true"),
    /locked/,
  );
  // And a build given a file outside its root names it by its absolute path.
  const outside = join(await tempDir("catalog-outside"), "x.jsonl");
  await writeLines(outside, simulatedRecordLines(2, Date.UTC(2026, 3, 1), 4));
  const result = await buildCatalog({ root: copy, catalogDir, inputs: [outside], threads: 1 });
  assert.deepEqual(result.sourcesRead, [outside]);
});

Deno.test("build --config: the record files of the configuration's jsonl sinks, plain and rotated", async () => {
  const { configRecordFiles } = await import("../../src/cli/catalog_command.ts");
  const project = await recordsProject({
    "cfg.jsonl": simulatedRecordLines(1, Date.UTC(2026, 5, 1), 5),
    "cfg_20260601_0000.jsonl": simulatedRecordLines(1, Date.UTC(2026, 5, 1, 1), 6),
    "other.jsonl": simulatedRecordLines(1, Date.UTC(2026, 5, 1, 2), 7),
  });
  const config = join(project.root, "c.jsonc");
  await Deno.writeTextFile(
    config,
    '{ "sinks": [{ "type": "jsonl", "file": "cfg.jsonl" }, { "type": "stdout" }] }',
  );
  assert.deepEqual(await configRecordFiles(project.root, config), [
    join(project.dataDir, "cfg.jsonl"),
    join(project.dataDir, "cfg_20260601_0000.jsonl"),
  ]);
});
