/**
 * The parallel build (parse workers, batches, days written by symbol without a sort) gives the
 * very files a single-thread build in one batch gives, and reads lines as the record reader does.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { buildCatalog, type BuildOptions } from "../../src/catalog/catalog_build.ts";
import { openCatalogEngine } from "../../src/catalog/duckdb_engine.ts";
import { digestFile } from "../../src/catalog/source_scan.ts";
import { openRecordFile } from "../../src/records/record_reader.ts";
import {
  copyDir,
  kisRecordLines,
  recordsProject,
  simulatedRecordLines,
  specialRecordLines,
  treeDigests,
} from "./catalog_fixtures.ts";
import { tempDir } from "../helpers/temp.ts";

type Project = { root: string; dataDir: string; catalogDir: string };

const MAX_LINE = 64 * 1024;

/**
 * Files that exercise the reader: a session of several MiB (many chunks) that runs over
 * midnight into the next file's day, CRLF line ends, a byte-order mark, blank and bad lines, a
 * line over the limit, invalid UTF-8, a record without an event time and a torn last line.
 */
async function trickyProject(): Promise<Project> {
  const night = simulatedRecordLines(1_200, Date.UTC(2026, 3, 1, 23, 50, 0), 11);
  const morning = simulatedRecordLines(300, Date.UTC(2026, 3, 2, 0, 10, 0), 12);
  const noTime = specialRecordLines()[0].replace(/"timestamp_ms": \d+, /, "")
    .replace(/"timestamp": "[^"]*", /, "");
  const project = await recordsProject({
    "a_night.jsonl": night,
    "b_morning.jsonl": [...morning.slice(0, 100), "", "  ", "not json", ...morning.slice(100)],
    "c_special.jsonl": [...specialRecordLines(), noTime, "x".repeat(MAX_LINE + 10)],
    "d_kis.jsonl": await kisRecordLines(),
  });
  const crlf = simulatedRecordLines(20, Date.UTC(2026, 3, 2, 3, 0, 0), 13);
  await Deno.writeTextFile(
    join(project.dataDir, "e_crlf.jsonl"),
    "\ufeff" + crlf.join("\r\n") + "\r\n",
  );
  const more = simulatedRecordLines(2, Date.UTC(2026, 3, 2, 4, 0, 0), 14);
  const bytes = new TextEncoder().encode(more.slice(0, 3).join("\n") + "\n");
  const end = new TextEncoder().encode(more.slice(3, 6).join("\n") + "\n");
  const bad = new Uint8Array([...bytes, 0x7b, 0xff, 0x7d, 0x0a, ...end, 0x7b, 0x22]);
  await Deno.writeFile(join(project.dataDir, "f_bytes.jsonl"), bad);
  return project;
}

async function build(project: Project, options: Partial<BuildOptions>) {
  const told: string[] = [];
  const result = await buildCatalog({
    root: project.root,
    catalogDir: project.catalogDir,
    inputs: [project.dataDir],
    maxLineBytes: MAX_LINE,
    threads: 1,
    onEvent: (message) => told.push(message),
    ...options,
  });
  return { result, told: told.filter((m) => m.includes("not a record")) };
}

Deno.test("parallel build: workers, one batch per file and this thread alone give byte-identical catalogs", async () => {
  const a = await trickyProject();
  const b = await tempDir("catalog-parallel");
  await copyDir(a.root, b);
  const bProject = { root: b, dataDir: join(b, "data/observer"), catalogDir: "" };
  bProject.catalogDir = join(bProject.dataDir, "catalog");
  const single = await build(a, { workers: 0 });
  const parallel = await build(bProject, { workers: 2, batchBytes: 1 });
  assert.deepEqual(await treeDigests(bProject.catalogDir), await treeDigests(a.catalogDir));
  assert.deepEqual(parallel.result, single.result);
  assert.deepEqual(parallel.told, single.told);
  assert.equal(single.result.badLines, 3); // not json, too long, not UTF-8 (the torn tail: none)
  assert.equal(single.result.noEventTime, 1);
  assert.ok(single.result.partitionsWritten.length >= 3);
});

Deno.test("parallel build: every row's line, number and run_id are the record reader's", async () => {
  const project = await trickyProject();
  await build(project, { workers: 2, batchBytes: 4 * 1024 * 1024 });
  const expected: string[] = [];
  for await (const entry of Deno.readDir(project.dataDir)) {
    if (!entry.isFile) continue;
    const name = `data/observer/${entry.name}`;
    const path = join(project.dataDir, entry.name);
    for await (
      const { record, line, source } of openRecordFile(path, {
        mode: "lenient",
        maxLineBytes: MAX_LINE,
      })
    ) {
      const meta = record.snapshot.meta as unknown as Record<string, unknown>;
      if (meta.timestamp_ms === undefined && meta.timestamp === undefined) continue;
      expected.push(JSON.stringify([name, line, meta.run_id, source.text]));
    }
  }
  using engine = await openCatalogEngine({ allowedDir: project.catalogDir, threads: 1 });
  const got = (await engine.connection.runAndReadAll(
    `SELECT source_file, source_line, run_id, record_line
     FROM read_parquet('${project.catalogDir}/date=*/part-0.parquet')`,
  )).getRowsJS().map((r) => JSON.stringify([r[0], Number(r[1]), r[2], r[3]]));
  assert.deepEqual(got.sort(), expected.sort());
});

Deno.test("parallel build: a day merged from two builds is the file one build writes", async () => {
  const lines = simulatedRecordLines(400, Date.UTC(2026, 4, 5, 8, 0, 0), 21);
  const once = await recordsProject({ "day.jsonl": lines });
  await build(once, {}); // new rows in order: written by symbol, without a sort
  // The same file read when half written, then again when whole: the day is merged and sorted.
  const twice = await recordsProject({ "day.jsonl": lines.slice(0, 900) });
  await build(twice, {});
  await Deno.writeTextFile(join(twice.dataDir, "day.jsonl"), lines.map((l) => l + "\n").join(""));
  const second = await build(twice, {});
  assert.deepEqual(second.result.partitionsWritten, ["date=2026-05-05"]);
  assert.equal(second.result.duplicates, 900);
  const part = "date=2026-05-05/part-0.parquet";
  assert.equal(
    (await digestFile(join(twice.catalogDir, part))).sha256,
    (await digestFile(join(once.catalogDir, part))).sha256,
  );
});
