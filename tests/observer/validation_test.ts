import assert from "node:assert/strict";
import { formatFieldIssue } from "../../src/contract/field_issue.ts";
import { validateSnapshot } from "../../src/observer/validation.ts";
import { marketSnapshot } from "../helpers/snapshots.ts";
import { type JsonValue, rawJsonNumber } from "../../src/contract/json_value.ts";
import { parseInputJson } from "../../src/contract/input_json.ts";

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

Deno.test("event times outside 1970..9999, or a timestamp that does not parse, are blocked", () => {
  const withTime = (timestamp: unknown, timestamp_ms: unknown) => ({
    ...marketSnapshot(0),
    meta: { ...marketSnapshot(0).meta, timestamp, timestamp_ms },
  });
  const paths = (s: unknown) => validateSnapshot(s).issues.map((i) => i.path);
  assert.deepEqual(paths(withTime("2026-01-26T03:18:20.080Z", 1769397500080)), []);
  assert.deepEqual(paths(withTime("2026-01-26T12:18:20+09:00", 0)), []);
  assert.deepEqual(paths(withTime("2026-01-26T03:18:20Z", 2 ** 53 - 1)), ["meta.timestamp_ms"]);
  assert.deepEqual(paths(withTime("2026-01-26T03:18:20Z", 1769397500080123456)), [
    "meta.timestamp_ms",
  ]);
  assert.deepEqual(paths(withTime("2026-01-26T03:18:20Z", -1)), ["meta.timestamp_ms"]);
  assert.deepEqual(paths(withTime("yesterday", 1769397500080)), ["meta.timestamp"]);
  assert.deepEqual(paths(withTime("2026-13-45T99:00:00Z", 1769397500080)), ["meta.timestamp"]);
  assert.match(
    validateSnapshot(withTime("x", 2 ** 53 - 1)).issues.find((i) => i.path === "meta.timestamp_ms")
      ?.expected ?? "",
    /from 0 \(1970\) to 253402300799999 \(9999\)/,
  );
});

Deno.test("an in-process snapshot nested deeper than 512 levels is blocked, not a stack overflow", () => {
  let deep: JsonValue = 1;
  for (let i = 0; i < 50_000; i++) deep = { a: deep };
  const snapshot = marketSnapshot(0, { deep });
  const result = validateSnapshot(snapshot);
  assert.deepEqual(result.issues.map((i) => `${i.path}: ${i.expected}`), [
    "observation.inputs: nesting of at most 512 levels",
  ]);
});

Deno.test("numbers kept as their exact text are numbers to validation; 1e400 is blocked as Infinity", () => {
  const ok = marketSnapshot(0, { price: rawJsonNumber("751000.0"), big: rawJsonNumber("1e2") });
  assert.equal(validateSnapshot(ok).severity, "INFO");
  const parsed = parseInputJson(
    JSON.stringify(marketSnapshot(0)).replace('"inputs":{', '"inputs":{"huge":1e400,'),
  );
  assert.deepEqual(validateSnapshot(parsed).issues.map((i) => `${i.path}: ${i.got}`), [
    "observation.inputs.huge: Infinity",
  ]);
});

Deno.test("identifiers longer than 128 characters (symbol, market, source, stage, session, run id, mode, version) are blocked by path; 128 pass", () => {
  const long = "x".repeat(129);
  const snapshot = marketSnapshot();
  const passes = structuredClone(snapshot);
  passes.context.symbol = "x".repeat(128);
  assert.equal(validateSnapshot(passes).severity, "INFO");
  for (const key of ["session_id", "run_id", "mode", "observer_version"] as const) {
    snapshot.meta[key] = long;
  }
  for (const key of ["source", "stage", "symbol", "market"] as const) snapshot.context[key] = long;
  const result = validateSnapshot(snapshot);
  assert.deepEqual(result.issues.map((i) => i.path), [
    "meta.session_id",
    "meta.run_id",
    "meta.mode",
    "meta.observer_version",
    "context.source",
    "context.stage",
    "context.symbol",
    "context.market",
  ]);
  assert.equal(
    formatFieldIssue(result.issues[6]),
    `context.symbol: expected a string of at most 128 characters, got "${
      "x".repeat(57)
    }…" (string of 129 characters)`,
  );
});
