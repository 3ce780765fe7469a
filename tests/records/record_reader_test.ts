import assert from "node:assert/strict";
import { openRecordFile, RecordFileError, RecordReader } from "../../src/records/record_reader.ts";
import type { RecordReadStats } from "../../src/records/record_reader.ts";
import { fixture } from "../helpers/project.ts";

function streamOf(text: string): ReadableStream<Uint8Array> {
  return ReadableStream.from([new TextEncoder().encode(text)]);
}

async function collect(reader: RecordReader) {
  const ids: string[] = [];
  for await (const { record } of reader) ids.push(record.snapshot.meta.run_id);
  return ids;
}

const python = await Deno.readTextFile(fixture("qts-python-records.jsonl"));
const [first, second] = python.split("\n");

Deno.test("the reader reads every record the Python QTS wrote", async () => {
  let stats: RecordReadStats | undefined;
  const ids = [];
  for await (
    const { line, record } of openRecordFile(fixture("qts-python-records.jsonl"), {
      stats: (s) => stats = s,
    })
  ) {
    ids.push(`${line}:${record.snapshot.meta.run_id}`);
  }
  assert.deepEqual(ids, [
    "1:fixture0000",
    "2:fixture0001",
    "3:fixture0002",
    "4:fixture0003",
    "5:fixture0005",
  ]);
  assert.deepEqual(stats, { records: 5, badLines: 0 });
});

Deno.test("strict mode stops at the first bad line with file, line number and reason", async () => {
  const reader = new RecordReader("a.jsonl", streamOf(`${first}\n{"snapshot": 1}\n${second}\n`));
  await assert.rejects(collect(reader), (error: RecordFileError) => {
    assert.ok(error instanceof RecordFileError);
    assert.equal(error.bad.line, 2);
    assert.match(error.message, /^a\.jsonl:2: snapshot: expected an object, got 1 \(number\)/);
    return true;
  });
});

Deno.test("lenient mode skips and counts bad lines and reports each one", async () => {
  const bad: string[] = [];
  const reader = new RecordReader("b.jsonl", streamOf(`${first}\nnot json\n\n[]\n${second}\n`), {
    mode: "lenient",
    onBadLine: (b) => bad.push(`${b.file}:${b.line}: ${b.reason.slice(0, 20)}`),
  });
  assert.deepEqual(await collect(reader), ["fixture0000", "fixture0001"]);
  assert.deepEqual(reader.stats, { records: 2, badLines: 2 });
  assert.deepEqual(bad, ["b.jsonl:2: not valid JSON: expe", "b.jsonl:4: (record): expected a"]);
});

Deno.test("a torn last line is reported, not fatal, even in strict mode", async () => {
  const reader = new RecordReader("c.jsonl", streamOf(`${first}\n${second.slice(0, 100)}`));
  assert.deepEqual(await collect(reader), ["fixture0000"]);
  assert.equal(reader.stats.tornTail?.line, 2);
  assert.match(reader.stats.tornTail!.reason, /^partial last line \(no newline\): not valid JSON/);
  const complete = new RecordReader("d.jsonl", streamOf(`${first}\n${second}`));
  assert.deepEqual(
    await collect(complete),
    ["fixture0000", "fixture0001"],
    "a complete last line without newline is a record",
  );
  assert.equal(complete.stats.tornTail, undefined);
});
