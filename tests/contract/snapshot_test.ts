import assert from "node:assert/strict";
import { buildSnapshot, OBSERVER_VERSION, parseSnapshot } from "../../src/contract/snapshot.ts";
import { formatFieldIssue } from "../../src/contract/field_issue.ts";

Deno.test("buildSnapshot fills timestamp, timestamp_ms and a fresh run_id", () => {
  const a = buildSnapshot({
    session_id: "s1",
    mode: "DEV",
    source: "market",
    stage: "raw",
    symbol: "005930",
    timestamp_ms: Date.UTC(2026, 0, 26, 3, 18, 20, 80),
    inputs: { price: 71000 },
  });
  const b = buildSnapshot({ session_id: "s1", mode: "DEV", source: "market", stage: "raw" });
  assert.equal(a.meta.timestamp, "2026-01-26T03:18:20.080Z");
  assert.equal(a.meta.timestamp_ms, 1769397500080);
  assert.equal(a.meta.observer_version, OBSERVER_VERSION);
  assert.notEqual(a.meta.run_id, b.meta.run_id);
  assert.match(a.meta.run_id, /^[0-9a-f-]{36}$/);
  assert.deepEqual(a.observation, { inputs: { price: 71000 }, computed: {}, state: {} });
  assert.deepEqual(a.context, { source: "market", stage: "raw", symbol: "005930" });
  assert.ok(Math.abs(b.meta.timestamp_ms - Date.now()) < 5000);
});

Deno.test("parseSnapshot rejects what cannot be a snapshot, naming each path", () => {
  const notObject = parseSnapshot([1]);
  assert.equal(notObject.ok, false);
  if (!notObject.ok) {
    assert.equal(
      formatFieldIssue(notObject.issues[0]),
      "(snapshot): expected a JSON object, got [1] (array)",
    );
  }
  const parts = parseSnapshot({ meta: {}, context: "market" });
  assert.equal(parts.ok, false);
  if (!parts.ok) {
    assert.deepEqual(parts.issues.map(formatFieldIssue), [
      'context: expected an object, got "market" (string)',
      "observation: expected an object, got nothing (field missing)",
    ]);
  }
});

Deno.test("parseSnapshot accepts the snapshot shape and leaves field checks to validation", () => {
  const value = { meta: { run_id: "" }, context: {}, observation: {} };
  const parsed = parseSnapshot(value);
  assert.equal(parsed.ok, true);
  if (parsed.ok) assert.equal(parsed.snapshot, value);
});
