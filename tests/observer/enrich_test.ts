import assert from "node:assert/strict";
import type { PatternRecord } from "../../src/contract/pattern_record.ts";
import { buildPatternRecord, DEFAULT_RECORD_STAMP } from "../../src/contract/pattern_record.ts";
import {
  enrichRecord,
  NON_NUMERIC_INPUT_FLAG,
  nonNumericInputs,
} from "../../src/observer/enrich.ts";
import { fileLines, fixture } from "../helpers/project.ts";
import { marketSnapshot } from "../helpers/snapshots.ts";
import { type JsonObject, rawJsonNumber } from "../../src/contract/json_value.ts";

Deno.test("enrichment describes quality and interpretation exactly as the Python QTS did", async () => {
  const lines = await fileLines(fixture("qts-python-records.jsonl"));
  assert.equal(lines.length, 5);
  for (const line of lines) {
    const python = JSON.parse(line) as PatternRecord;
    const ours = enrichRecord(
      buildPatternRecord(python.snapshot, DEFAULT_RECORD_STAMP, python.metadata.generated_at),
      DEFAULT_RECORD_STAMP,
    );
    const run = python.snapshot.meta.run_id;
    assert.deepEqual(ours.metadata._quality, python.metadata._quality, run);
    assert.deepEqual(ours.metadata._interpretation, python.metadata._interpretation, run);
    assert.deepEqual(
      Object.keys(ours.metadata),
      Object.keys(python.metadata),
      `${run}: metadata keys in the Python order`,
    );
    const { producer: _p, build_id: _b, ...schema } = ours.metadata._schema!;
    const { producer: _pp, build_id: _bb, ...pythonSchema } = python.metadata._schema!;
    assert.deepEqual(schema, pythonSchema, run);
  }
});

Deno.test("EMPTY_INPUTS is flagged and hints stay neutral", () => {
  const record = enrichRecord(
    buildPatternRecord(
      {
        meta: {
          timestamp: "2026-01-01T00:00:00.000Z",
          timestamp_ms: 1767225600000,
          session_id: "s",
          run_id: "r",
          mode: "DEV",
          observer_version: "v1.0.0",
        },
        context: { source: "system", stage: "state" },
        observation: { inputs: {}, computed: {}, state: {} },
      },
      DEFAULT_RECORD_STAMP,
      "2026-01-01T00:00:00.000Z",
    ),
    DEFAULT_RECORD_STAMP,
  );
  assert.deepEqual(record.metadata._quality?.flags, ["EMPTY_INPUTS", "NO_COMPUTED", "NO_STATE"]);
  assert.deepEqual(record.metadata._interpretation, {
    summary: { source: "system", stage: "state", symbol: null, market: null },
    hints: [],
  });
});

Deno.test("a price kept as its exact text (751000.0) is a price: hinted and summarized exactly", () => {
  const snapshot = marketSnapshot(0, { price: rawJsonNumber("751000.0"), volume: 3 });
  const record = enrichRecord(
    buildPatternRecord(snapshot, DEFAULT_RECORD_STAMP, "2026-01-26T03:18:20.080Z"),
    DEFAULT_RECORD_STAMP,
  );
  assert.equal(record.metadata._quality?.stats.has_price, true);
  assert.deepEqual(record.metadata._interpretation?.hints.slice(0, 2), ["HAS_PRICE", "HAS_VOLUME"]);
  assert.match(JSON.stringify(record), /"summary":\{[^}]*"price":751000\.0,"volume":3\}/);
});

Deno.test("a price, volume, OHLC, bid or ask that is not a number is flagged NON_NUMERIC_INPUT; numbers and null are not", () => {
  const flagsOf = (inputs: JsonObject) =>
    enrichRecord(
      buildPatternRecord(marketSnapshot(0, inputs), DEFAULT_RECORD_STAMP, "2026-01-26T03:00:00Z"),
      DEFAULT_RECORD_STAMP,
    ).metadata._quality!.flags;
  assert.deepEqual(flagsOf({ price: 71000, volume: 3 }), []);
  assert.deepEqual(flagsOf({ price: rawJsonNumber("751000.0"), volume: 3 }), []);
  assert.deepEqual(flagsOf({ price: null, open: null, bid: 1, ask: 2, note: "text is fine" }), []);
  for (const key of ["price", "volume", "open", "high", "low", "close", "bid", "ask"]) {
    for (const bad of ["71000.0", "abc", true, [1], { v: 1 }]) {
      assert.deepEqual(flagsOf({ [key]: bad }), [NON_NUMERIC_INPUT_FLAG], `${key}: ${bad}`);
    }
  }
  assert.deepEqual(nonNumericInputs({ price: "71000.0", volume: "x", bid: 1 }), [
    "price",
    "volume",
  ]);
  // The Python flags first, as computed there; the new one after them.
  const record = enrichRecord(
    buildPatternRecord(
      {
        ...marketSnapshot(0, { price: "abc" }),
        observation: {
          inputs: { price: "abc" },
          computed: {},
          state: {},
        },
      },
      DEFAULT_RECORD_STAMP,
      "2026-01-26T03:00:00Z",
    ),
    DEFAULT_RECORD_STAMP,
  );
  assert.deepEqual(record.metadata._quality!.flags, [
    "NO_COMPUTED",
    "NO_STATE",
    "NON_NUMERIC_INPUT",
  ]);
  assert.equal(record.metadata._quality!.stats.has_price, false);
});
