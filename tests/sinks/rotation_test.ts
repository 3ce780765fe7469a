import assert from "node:assert/strict";
import { join } from "node:path";
import { buildPatternRecord, DEFAULT_RECORD_STAMP } from "../../src/contract/pattern_record.ts";
import { getObserverLogger } from "../../src/log/logging.ts";
import { JsonlFileSink } from "../../src/sinks/jsonl_file_sink.ts";
import {
  applyRetention,
  formatWindowStamp,
  listRotatedFiles,
  rotatedFileName,
  windowStart,
} from "../../src/sinks/rotation.ts";
import { fileLines } from "../helpers/project.ts";
import { marketSnapshot } from "../helpers/snapshots.ts";
import { tempDir } from "../helpers/temp.ts";

const T0 = Date.UTC(2026, 0, 26, 3, 0, 10);
const record = (i: number) =>
  buildPatternRecord(marketSnapshot(i), DEFAULT_RECORD_STAMP, "2026-01-01T00:00:00.000Z");

Deno.test("window stamps and names follow the Python QTS {base}_YYYYMMDD_HHMM.jsonl", () => {
  assert.equal(windowStart(Date.UTC(2026, 0, 26, 3, 18, 20), 15), Date.UTC(2026, 0, 26, 3, 15));
  assert.equal(formatWindowStamp(Date.UTC(2026, 0, 26, 3, 15)), "20260126_0315");
  assert.equal(rotatedFileName("obs", "20260126_0315", 0), "obs_20260126_0315.jsonl");
  assert.equal(rotatedFileName("obs", "20260126_0315", 2), "obs_20260126_0315_2.jsonl");
});

Deno.test("time rotation: each record goes to the file of the window it was accepted in; keep deletes the oldest", async () => {
  const root = await tempDir();
  let now = T0;
  const sink = await JsonlFileSink.open({
    root,
    fileName: "obs.jsonl",
    logger: getObserverLogger("sink"),
    fsync: "none",
    now: () => now,
    rotation: { everyMinutes: 1, keep: 2 },
  });
  const dir = join(root, "data", "observer");
  const plan = [0, 20_000, 61_000, 62_000, 125_000, 185_000];
  for (let i = 0; i < plan.length; i++) {
    now = T0 + plan[i];
    sink.write(record(i));
  }
  await sink.close();
  const files = (await listRotatedFiles(dir, "obs")).map((f) => f.name);
  assert.deepEqual(files, ["obs_20260126_0302.jsonl", "obs_20260126_0303.jsonl"]);
  const ids = async (name: string) =>
    (await fileLines(join(dir, name))).map((l) => JSON.parse(l).snapshot.meta.run_id);
  assert.deepEqual(await ids("obs_20260126_0302.jsonl"), ["run-4"]);
  assert.deepEqual(await ids("obs_20260126_0303.jsonl"), ["run-5"]);
  assert.equal(sink.stats().written, 6);
});

Deno.test("size rotation never splits a line and keeps every record", async () => {
  const root = await tempDir();
  const lineBytes = new TextEncoder().encode(JSON.stringify(record(0)) + "\n").length;
  const sink = await JsonlFileSink.open({
    root,
    fileName: "obs.jsonl",
    logger: getObserverLogger("sink"),
    fsync: "none",
    now: () => T0,
    flushBytes: lineBytes,
    rotation: { maxBytes: lineBytes * 3 },
  });
  for (let i = 0; i < 10; i++) await sink.write(record(i));
  await sink.close();
  const dir = join(root, "data", "observer");
  const files = await listRotatedFiles(dir, "obs");
  assert.ok(files.length >= 4, `10 lines at most 3 to a file: ${files.map((f) => f.name)}`);
  assert.equal(files[0].name, "obs_20260126_0300.jsonl");
  assert.deepEqual(files.map((f) => f.sequence), files.map((_, i) => i));
  const all: string[] = [];
  for (const file of files) {
    const path = join(dir, file.name);
    assert.ok((await Deno.stat(path)).size <= lineBytes * 3, file.name);
    for (const line of await fileLines(path)) all.push(JSON.parse(line).snapshot.meta.run_id);
  }
  assert.deepEqual(all, Array.from({ length: 10 }, (_, i) => `run-${i}`));
});

Deno.test("applyRetention never deletes the active file and ignores other names", async () => {
  const dir = await tempDir();
  for (
    const name of [
      "a_20260101_0000.jsonl",
      "a_20260101_0001.jsonl",
      "a_20260101_0002.jsonl",
      "b_20260101_0000.jsonl",
      "a.jsonl",
    ]
  ) {
    await Deno.writeTextFile(join(dir, name), "");
  }
  assert.deepEqual(await applyRetention(dir, "a", 1, "a_20260101_0000.jsonl"), [
    "a_20260101_0001.jsonl",
    "a_20260101_0002.jsonl",
  ]);
  const left = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  assert.deepEqual(left, ["a.jsonl", "a_20260101_0000.jsonl", "b_20260101_0000.jsonl"]);
});
