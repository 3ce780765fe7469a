import assert from "node:assert/strict";
import { lazyLoggedRecord, loggedRecord, logRecord } from "../../src/follow/logged_record.ts";
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

// deno-lint-ignore no-explicit-any
type Json = any;

Deno.test("a line read lazily is cut only between its members: keys named context, observation, regime_tags or metadata nested deeper, strings holding them, or members in between give what a whole parse gives", () => {
  const base = JSON.parse(recordLine(7));
  const variants = [
    (r: Json) => r.snapshot.meta.extra = { x: { a: 1 }, context: { symbol: "NO" } },
    (r: Json) => r.snapshot.meta.note = '},"context":{"symbol":"NO"},"observation":',
    (r: Json) => r.snapshot.context.more = { deep: {}, observation: { x: 1 } },
    (r: Json) => r.snapshot = { meta: r.snapshot.meta, between: { a: {} }, ...r.snapshot },
    (r: Json) => r.metadata.guard.extra = { q: {}, metadata: { guard: "NO" } },
    (r: Json) => r.snapshot.observation.inputs.regime_tags = { a: {} },
  ];
  for (const change of variants) {
    const record = structuredClone(base);
    change(record);
    const line = JSON.stringify(record);
    const whole = JSON.parse(line);
    const logged = loggedRecord({ text: line, number: 1, terminated: true });
    assert.ok(typeof logged !== "string", line.slice(0, 120));
    assert.deepEqual(logged.record.snapshot.meta, whole.snapshot.meta, line);
    assert.deepEqual(logged.record.snapshot.context, whole.snapshot.context, line);
    assert.deepEqual(logged.record.snapshot.observation, whole.snapshot.observation, line);
    assert.deepEqual(logged.record.metadata, whole.metadata, line);
    assert.deepEqual(JSON.parse(logged.snapshotText!), whole.snapshot, line);
  }
});
