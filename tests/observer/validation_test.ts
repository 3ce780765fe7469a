import assert from "node:assert/strict";
import { formatFieldIssue } from "../../src/contract/field_issue.ts";
import { validateSnapshot } from "../../src/observer/validation.ts";
import { marketSnapshot } from "../helpers/snapshots.ts";

Deno.test("a complete snapshot validates as INFO with no issues", () => {
  assert.deepEqual(validateSnapshot(marketSnapshot()), { severity: "INFO", issues: [] });
});

Deno.test("non-finite numbers anywhere in the observation are blocked by path", () => {
  const snapshot = marketSnapshot(0, {
    price: Infinity,
    depth: [1, -Infinity],
    nested: { x: NaN },
  });
  snapshot.observation.state = { legs: [{ qty: NaN }] };
  const result = validateSnapshot(snapshot);
  assert.equal(result.severity, "BLOCK");
  assert.deepEqual(result.issues.map(formatFieldIssue), [
    "observation.inputs.price: expected a finite number, got Infinity",
    "observation.inputs.depth[1]: expected a finite number, got -Infinity",
    "observation.inputs.nested.x: expected a finite number, got NaN",
    "observation.state.legs[0].qty: expected a finite number, got NaN",
  ]);
});

Deno.test("missing or empty meta fields, a fractional timestamp_ms and missing context are all named", () => {
  const result = validateSnapshot({
    meta: { timestamp: "", timestamp_ms: 1.5, session_id: "s", mode: "DEV", observer_version: "v" },
    context: { stage: "raw", symbol: 5 },
    observation: { inputs: [], computed: {}, state: null },
  });
  assert.equal(result.severity, "BLOCK");
  assert.deepEqual(result.issues.map((i) => i.path), [
    "meta.timestamp",
    "meta.run_id",
    "meta.timestamp_ms",
    "context.source",
    "context.symbol",
    "observation.inputs",
    "observation.state",
  ]);
});

Deno.test("sections that are not objects are blocked", () => {
  assert.deepEqual(validateSnapshot(7).issues.map((i) => i.path), ["(snapshot)"]);
  assert.deepEqual(
    validateSnapshot({ meta: null, context: [], observation: "x" }).issues.map((i) => i.path),
    ["meta", "context", "observation"],
  );
});
