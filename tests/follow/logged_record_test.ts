import assert from "node:assert/strict";
import { lazyLoggedRecord, logRecord } from "../../src/follow/logged_record.ts";
import { fixture } from "../helpers/project.ts";
import { recordLine } from "../helpers/snapshot_file.ts";

Deno.test("a log line read lazily gives the same meta, context, observation and metadata as a whole parse (this project's records and the Python QTS's)", async () => {
  const python = (await Deno.readTextFile(fixture("qts-python-records.jsonl"))).trim().split("\n");
  const lines = [...python, ...Array.from({ length: 50 }, (_, i) => recordLine(i))];
  for (const line of lines) {
    const whole = JSON.parse(line);
    const lazy = lazyLoggedRecord(line);
    assert.ok(lazy, line.slice(0, 80));
    assert.deepEqual(lazy.snapshot.meta, whole.snapshot.meta);
    assert.deepEqual(lazy.snapshot.context, whole.snapshot.context);
    assert.deepEqual(lazy.snapshot.observation, whole.snapshot.observation);
    assert.deepEqual(lazy.metadata, whole.metadata);
  }
});

Deno.test("a line not laid out as a record is read whole, and one that is not a record says why", () => {
  const reordered = JSON.stringify({ metadata: { guard: { action: "PASS" } }, snapshot: {} });
  assert.equal(lazyLoggedRecord(reordered), undefined);
  const bad = logRecord({ text: '{"snapshot":{"meta":{}}', number: 1, terminated: true });
  assert.equal(typeof bad, "string");
  assert.match(bad as string, /JSON/);
});
