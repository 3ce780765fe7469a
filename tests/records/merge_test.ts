import assert from "node:assert/strict";
import { join } from "node:path";
import { buildPatternRecord, DEFAULT_RECORD_STAMP } from "../../src/contract/pattern_record.ts";
import { MAX_MERGE_RUNS, mergeRecordFiles, TooManyRunsError } from "../../src/records/merge.ts";
import { syntheticSnapshot } from "../helpers/snapshot_file.ts";
import { tempDir } from "../helpers/temp.ts";

/** Record line `i` (event time grows with i), with `generated_at` telling copies apart. */
function line(i: number, copy = 0): string {
  const s = syntheticSnapshot(i);
  return JSON.stringify(
    buildPatternRecord(s, DEFAULT_RECORD_STAMP, `2026-01-26T00:00:0${copy}.000Z`),
  );
}

async function file(dir: string, name: string, lines: string[]): Promise<string> {
  const path = join(dir, name);
  await Deno.writeTextFile(path, lines.map((l) => l + "\n").join(""));
  return path;
}

Deno.test("merge: by event time then run_id over unsorted files, duplicates by run_id dropped, lines kept exactly", async () => {
  const dir = await tempDir("merge");
  // a: 0..99 then a redelivered stretch 40..59 (a second copy); b: 100..199 with 150..160 out of place
  const a = await file(dir, "a.jsonl", [
    ...Array.from({ length: 100 }, (_, i) => line(i)),
    ...Array.from({ length: 20 }, (_, i) => line(40 + i, 1)),
  ]);
  const bOrder = [
    ...Array.from({ length: 50 }, (_, i) => 100 + i),
    ...Array.from({ length: 40 }, (_, i) => 161 + i).filter((i) => i < 200),
    ...Array.from({ length: 11 }, (_, i) => 150 + i),
  ];
  const b = await file(dir, "b.jsonl", ["not a record", ...bOrder.map((i) => line(i, 2))]);
  const out: string[] = [];
  const result = await mergeRecordFiles([b, a], { write: (l) => void out.push(l) });
  assert.equal(result.merged, 200);
  assert.equal(result.duplicates, 20);
  assert.equal(result.runs, 4);
  assert.deepEqual(result.badLines.map((bad) => [bad.file, bad.line]), [[b, 1]]);
  const ids = out.map((l) => JSON.parse(l).snapshot.meta.run_id);
  assert.deepEqual(ids, Array.from({ length: 200 }, (_, i) => `r${i}`));
  // The first copy met is kept, byte for byte.
  assert.equal(out[45], line(45));
  assert.equal(out[155], line(155, 2));
});

Deno.test("merge: equal event times are ordered by run_id", async () => {
  const dir = await tempDir("merge");
  const same = (id: string) => {
    const s = { ...syntheticSnapshot(0) };
    s.meta = { ...s.meta, run_id: id };
    return JSON.stringify(buildPatternRecord(s, DEFAULT_RECORD_STAMP, "2026-01-26T00:00:00.000Z"));
  };
  const a = await file(dir, "a.jsonl", [same("b"), same("d")]);
  const b = await file(dir, "b.jsonl", [same("a"), same("c"), same("d")]);
  const out: string[] = [];
  const result = await mergeRecordFiles([a, b], { write: (l) => void out.push(l) });
  assert.deepEqual(out.map((l) => JSON.parse(l).snapshot.meta.run_id), ["a", "b", "c", "d"]);
  assert.equal(result.duplicates, 1);
});

Deno.test("merge: inputs with more sorted stretches than it merges at once are refused before writing", async () => {
  const dir = await tempDir("merge");
  const descending = Array.from({ length: MAX_MERGE_RUNS + 1 }, (_, i) => line(MAX_MERGE_RUNS - i));
  const path = await file(dir, "reversed.jsonl", descending);
  const out: string[] = [];
  await assert.rejects(
    () => mergeRecordFiles([path], { write: (l) => void out.push(l) }),
    (error: Error) =>
      error instanceof TooManyRunsError &&
      error.message.includes(`more than ${MAX_MERGE_RUNS} sorted stretches`) &&
      error.message.includes(`${path}:${MAX_MERGE_RUNS + 1}`),
  );
  assert.equal(out.length, 0);
});
