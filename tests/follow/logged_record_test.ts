import assert from "node:assert/strict";
import {
  detachedRecord,
  lazyLoggedRecord,
  loggedRecord,
  logRecord,
  soundRecord,
} from "../../src/follow/logged_record.ts";
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

Deno.test("a record a batch keeps over a copy of its line reads the same; a line laid out as a record whose meta is not JSON is found out when kept, and says why", () => {
  const lines = [
    recordLine(3),
    JSON.stringify({ metadata: {}, snapshot: JSON.parse(recordLine(4)).snapshot }),
  ];
  for (const text of lines) {
    const line = { text, number: 1, terminated: true };
    const logged = loggedRecord(line);
    assert.ok(typeof logged !== "string");
    assert.equal(soundRecord(logged, line), logged);
    const copy = detachedRecord(logged);
    const whole = JSON.parse(text);
    assert.equal(copy.line, text);
    assert.deepEqual(copy.record.snapshot.meta, whole.snapshot.meta);
    assert.deepEqual(copy.record.snapshot.context, whole.snapshot.context);
    assert.deepEqual(copy.record.snapshot.observation, whole.snapshot.observation);
    assert.deepEqual(copy.record.metadata, whole.metadata);
  }
  const broken = recordLine(5).replace('"run_id":', '"run_id",');
  const line = { text: broken, number: 9, terminated: true };
  const logged = loggedRecord(line);
  assert.ok(typeof logged !== "string", "read lazily: not parsed yet");
  assert.equal(
    logged.record.snapshot.context.symbol,
    JSON.parse(recordLine(5)).snapshot.context.symbol,
  );
  const why = soundRecord(logged, line);
  assert.equal(typeof why, "string");
  assert.match(why as string, /JSON/);
  assert.equal(lazyLoggedRecord(broken), undefined);
  assert.equal(typeof logRecord(line), "string");
});
