import assert from "node:assert/strict";
import { openRecordFile } from "../../src/records/record_reader.ts";
import {
  buildPatternRecord,
  DEFAULT_RECORD_STAMP,
  parsePatternRecord,
} from "../../src/contract/pattern_record.ts";
import { buildSnapshot } from "../../src/contract/snapshot.ts";
import { formatFieldIssue } from "../../src/contract/field_issue.ts";
import { fixture } from "../helpers/project.ts";

Deno.test("buildPatternRecord keeps the snapshot unchanged and fills the Python field names", () => {
  const snapshot = buildSnapshot({
    session_id: "s",
    mode: "PROD",
    source: "system",
    stage: "state",
  });
  const record = buildPatternRecord(snapshot, DEFAULT_RECORD_STAMP, "2026-01-01T00:00:00.000Z");
  assert.equal(record.snapshot, snapshot);
  assert.deepEqual(Object.keys(record), [
    "snapshot",
    "regime_tags",
    "condition_tags",
    "outcome_labels",
    "metadata",
  ]);
  assert.deepEqual(record.metadata, {
    schema_version: "v1.0.0",
    dataset_version: "v1.0.0",
    build_id: DEFAULT_RECORD_STAMP.build_id,
    generated_at: "2026-01-01T00:00:00.000Z",
    session_id: "s",
    mode: "PROD",
    quality_flags: [],
    validation: { severity: "INFO" },
    guard: { action: "PASS", reason: "OK" },
  });
});

Deno.test("parsePatternRecord accepts every record the Python QTS wrote", async () => {
  let count = 0;
  for await (const { record } of openRecordFile(fixture("qts-python-records.jsonl"))) {
    assert.ok(parsePatternRecord(record).ok);
    assert.equal(record.metadata._schema?.record_schema_version, "v1.1.0");
    count++;
  }
  assert.equal(count, 5);
});

Deno.test("parsePatternRecord names every missing part", () => {
  const parsed = parsePatternRecord({ snapshot: { meta: {} }, metadata: { mode: 1 } });
  assert.equal(parsed.ok, false);
  if (!parsed.ok) {
    assert.deepEqual(parsed.issues.map(formatFieldIssue), [
      "snapshot.context: expected an object, got nothing (field missing)",
      "snapshot.observation: expected an object, got nothing (field missing)",
      "regime_tags: expected an object, got nothing (field missing)",
      "outcome_labels: expected an object, got nothing (field missing)",
      "condition_tags: expected an array, got nothing (field missing)",
      "metadata.generated_at: expected a string, got nothing (field missing)",
      "metadata.session_id: expected a string, got nothing (field missing)",
      "metadata.mode: expected a string, got 1 (number)",
    ]);
  }
  assert.equal(parsePatternRecord("x").ok, false);
});
