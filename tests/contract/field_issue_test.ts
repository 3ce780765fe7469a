import assert from "node:assert/strict";
import { childPath, fieldIssue, formatFieldIssue } from "../../src/contract/field_issue.ts";
import { describeValue, isPlainObject, rawJsonNumber } from "../../src/contract/json_value.ts";

Deno.test("childPath builds dotted paths with indices and quotes odd keys", () => {
  assert.equal(childPath("observation.inputs", "depth"), "observation.inputs.depth");
  assert.equal(childPath("observation.inputs.depth", 1), "observation.inputs.depth[1]");
  assert.equal(childPath("a", "x y"), 'a["x y"]');
  assert.equal(childPath("", "meta"), "meta");
});

Deno.test("describeValue says what came, shortened", () => {
  assert.equal(describeValue(undefined), "nothing (field missing)");
  assert.equal(describeValue(null), "null");
  assert.equal(describeValue(-Infinity), "-Infinity");
  assert.equal(describeValue(NaN), "NaN");
  assert.equal(describeValue("x"), '"x" (string)');
  assert.equal(describeValue("y".repeat(100)), `"${"y".repeat(57)}…" (string of 100 characters)`);
  assert.equal(
    describeValue("a\u001b[31mb"),
    '"a\\u001b[31mb" (string)',
    "control characters escaped",
  );
  assert.equal(
    formatFieldIssue(fieldIssue("meta.run_id", "a non-empty string", "")),
    'meta.run_id: expected a non-empty string, got "" (string)',
  );
});

Deno.test("isPlainObject accepts only plain objects", () => {
  assert.equal(isPlainObject({}), true);
  assert.equal(isPlainObject(Object.create(null)), true);
  assert.equal(isPlainObject([]), false);
  assert.equal(isPlainObject(null), false);
  assert.equal(isPlainObject(new Date()), false);
  assert.equal(isPlainObject(rawJsonNumber("1.0")), false, "a number kept as text is no object");
});
