import assert from "node:assert/strict";
import { readLines } from "../../src/io/line_reader.ts";
import { parseSnapshotLine, snapshotLines } from "../../src/sources/snapshot_lines.ts";
import { fixture } from "../helpers/project.ts";

Deno.test("every Python snapshot line parses, NaN/Infinity included (validation blocks them later)", async () => {
  using file = await Deno.open(fixture("python-snapshots.jsonl"));
  const judged = [];
  for await (const line of snapshotLines(readLines(file.readable))) judged.push(line);
  assert.equal(judged.length, 7);
  assert.ok(judged.every((j) => j.ok));
  const nan = judged[4];
  assert.ok(nan.ok && Number.isNaN(nan.snapshot.observation.inputs.price));
});

Deno.test("a bad line is rejected with its number and reason; a blank line is skipped", () => {
  assert.equal(parseSnapshotLine({ text: "  ", number: 1, terminated: true }), undefined);
  const torn = { text: '{"meta":', number: 9, terminated: false };
  assert.deepEqual(parseSnapshotLine(torn), {
    ok: false,
    line: 9,
    reason: "not valid JSON: expected a JSON value at column 9, got the end of the text " +
      "(last line has no newline: truncated?)",
    source: torn,
  });
  const partial = { text: '{"meta":{},"context":{}}', number: 2, terminated: true };
  assert.deepEqual(parseSnapshotLine(partial), {
    ok: false,
    line: 2,
    reason: "observation: expected an object, got nothing (field missing)",
    source: partial,
  });
});
