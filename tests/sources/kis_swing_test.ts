import assert from "node:assert/strict";
import { readLines } from "../../src/io/line_reader.ts";
import { kisSwingSnapshot } from "../../src/sources/kis_swing.ts";
import { formatFieldIssues } from "../../src/contract/field_issue.ts";
import { detectFormat, readSnapshotInputs } from "../../src/sources/snapshot_inputs.ts";
import { validateSnapshot } from "../../src/observer/validation.ts";
import { fixture } from "../helpers/project.ts";

Deno.test("every line of the real KIS archive becomes a valid market snapshot", async () => {
  using file = await Deno.open(fixture("kis-swing-20260126.jsonl"));
  let count = 0;
  const symbols = new Set<string>();
  for await (const line of readLines(file.readable)) {
    const result = kisSwingSnapshot(JSON.parse(line.text));
    assert.ok(result.ok, `line ${line.number}`);
    if (!result.ok) continue;
    assert.equal(validateSnapshot(result.snapshot).severity, "INFO");
    symbols.add(result.snapshot.context.symbol!);
    count++;
  }
  assert.equal(count, 1512);
  assert.equal(symbols.size, 1512);
});

Deno.test("a KIS line maps to inputs, context and meta as documented", () => {
  const line = {
    ts: "2026-01-26T03:18:20.080489Z",
    session: "observer-e0d9",
    dataset: "track_a_swing",
    market: "kr_stocks",
    symbol: "000250",
    price: { open: 368000, high: 398000, low: 358500, close: 396500 },
    volume: 502611,
    bid_price: null,
    ask_price: null,
    source: "kis",
  };
  const result = kisSwingSnapshot(line, { mode: "PROD" });
  assert.ok(result.ok);
  if (!result.ok) return;
  assert.deepEqual(result.snapshot, {
    meta: {
      timestamp: "2026-01-26T03:18:20.080Z",
      timestamp_ms: 1769397500080,
      session_id: "observer-e0d9",
      run_id: "kis:000250:2026-01-26T03:18:20.080489Z",
      mode: "PROD",
      observer_version: "v1.0.0",
    },
    context: { source: "market", stage: "raw", symbol: "000250", market: "kr_stocks" },
    observation: {
      inputs: {
        price: 396500,
        open: 368000,
        high: 398000,
        low: 358500,
        close: 396500,
        volume: 502611,
        bid: null,
        ask: null,
      },
      computed: {},
      state: { source_ts: "2026-01-26T03:18:20.080489Z", dataset: "track_a_swing", vendor: "kis" },
    },
  });
});

Deno.test("a malformed KIS line names every bad field", () => {
  const result = kisSwingSnapshot({
    ts: "2026-01-26 03:18:20",
    symbol: "",
    price: { open: "1" },
    volume: "x",
  });
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.equal(
    formatFieldIssues(result.issues),
    'ts: expected an ISO-8601 time with a zone, from 1970 to 9999 (e.g. ...Z), got "2026-01-26 03:18:20" (string); ' +
      "session: expected a non-empty string, got nothing (field missing); " +
      "market: expected a non-empty string, got nothing (field missing); " +
      'symbol: expected a non-empty string, got "" (string); ' +
      'price.open: expected a number or null, got "1" (string); ' +
      "price.high: expected a number or null, got nothing (field missing); " +
      "price.low: expected a number or null, got nothing (field missing); " +
      "price.close: expected a number or null, got nothing (field missing); " +
      'volume: expected a number or null, got "x" (string); ' +
      "bid_price: expected a number or null, got nothing (field missing); " +
      "ask_price: expected a number or null, got nothing (field missing)",
  );
  assert.equal(kisSwingSnapshot([1]).ok, false);
});

Deno.test("formats are detected from the first line; bad KIS lines are rejected with their number", async () => {
  assert.equal(detectFormat({ snapshot: {}, metadata: {} }), "records");
  assert.equal(detectFormat({ ts: "x", symbol: "y", price: {} }), "kis-swing");
  assert.equal(detectFormat({ meta: {} }), "snapshots");
  assert.equal(detectFormat("x"), "snapshots");
  const good = (await Deno.readTextFile(fixture("kis-swing-20260126.jsonl"))).split("\n")[0];
  const text = `\n${good}\nnot json\n{"ts":"2026-01-26T03:18:20Z","symbol":"A","price":{}}\n`;
  const formats: string[] = [];
  const items = [];
  for await (
    const item of readSnapshotInputs(
      "k.jsonl",
      ReadableStream.from([new TextEncoder().encode(text)]),
      {
        onFormat: (f) => formats.push(f),
      },
    )
  ) items.push(item.ok ? `${item.line}:ok` : `${item.line}:${item.reason.slice(0, 30)}`);
  assert.deepEqual(formats, ["kis-swing"]);
  assert.deepEqual(items, [
    "2:ok",
    "3:not valid JSON: expected a JSO",
    "4:session: expected a non-empty ",
  ]);
});
