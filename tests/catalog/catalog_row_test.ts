import assert from "node:assert/strict";
import {
  marketValues,
  recordEventMs,
  STAGING_COLUMNS,
  stagingRow,
} from "../../src/catalog/catalog_row.ts";
import { parseRecordLine } from "../../src/records/record_reader.ts";
import type { PatternRecord } from "../../src/contract/pattern_record.ts";
import { formatQueryResult, jsonValue } from "../../src/catalog/query_output.ts";
import { specialRecordLines } from "./catalog_fixtures.ts";

function record(line: string): PatternRecord {
  const parsed = parseRecordLine({ text: line, number: 1, terminated: true });
  if (typeof parsed === "string") throw new Error(parsed);
  return parsed;
}

Deno.test("marketValues: flat inputs, a nested OHLC price, bid_price/ask_price, non-numbers as null", () => {
  assert.deepEqual(marketValues({ price: 71000, volume: 5, bid: 70990, ask: 71010 }), {
    price: 71000,
    open: null,
    high: null,
    low: null,
    close: null,
    volume: 5,
    bid: 70990,
    ask: 71010,
  });
  assert.deepEqual(
    marketValues({
      price: { open: 1, high: 3, low: 0.5, close: 2 },
      bid_price: 1.5,
      ask_price: null,
    }),
    { price: 2, open: 1, high: 3, low: 0.5, close: 2, volume: null, bid: 1.5, ask: null },
  );
  assert.equal(marketValues({ price: "71000", volume: true }).price, null);
  assert.equal(marketValues({ price: "71000", volume: true }).volume, null);
});

Deno.test("stagingRow: JSON texts keep every number as written; the exact line is kept", () => {
  const [line] = specialRecordLines();
  const row = stagingRow(record(line), line, "data/observer/special.jsonl", 7)!;
  const byName = Object.fromEntries(STAGING_COLUMNS.map(([n], i) => [n, row[i]]));
  assert.equal(
    byName.inputs_json,
    '{"price":751000.0,"volume":9007199254740993,"bid":null,"ask":12345678901234567890}',
  );
  assert.equal(byName.computed_json, '{"x":-0.0,"y":1e5,"z":1.5e-7}');
  assert.equal(byName.state_json, '{"note":"삼성전자 — ok","deep":{"a":[1,2.50,null,true]}}');
  assert.equal(byName.record_line, line);
  assert.equal(byName.price, 751000);
  assert.equal(byName.volume, 9007199254740992);
  assert.equal(byName.quality_flags_list, null);
  assert.equal(byName.symbol, "005930");
  assert.equal(byName.source_line, 7);
});

Deno.test("recordEventMs: timestamp_ms, else the ISO timestamp, else undefined (not catalogued)", () => {
  const [line] = specialRecordLines();
  const r = record(line);
  assert.equal(recordEventMs(r), Date.UTC(2026, 0, 27, 1, 0, 0));
  const meta = r.snapshot.meta as unknown as Record<string, unknown>;
  delete meta.timestamp_ms;
  meta.timestamp = "2026-01-27T10:00:00+09:00";
  assert.equal(recordEventMs(r), Date.UTC(2026, 0, 27, 1, 0, 0));
  delete meta.timestamp;
  assert.equal(recordEventMs(r), undefined);
  assert.equal(stagingRow(r, line, "x", 1), undefined);
});

Deno.test("query output: JSON keeps big integers exact as text, CSV quotes, dates as days", () => {
  assert.equal(jsonValue(2n ** 53n + 1n), "9007199254740993");
  assert.equal(jsonValue(42n), 42);
  const result = {
    columns: ["d", "s", "l"],
    types: ["DATE", "VARCHAR", "VARCHAR[]"],
    rows: [[new Date(Date.UTC(2026, 0, 26)), 'a,"b"', ["X", "Y"]], [null, null, null]],
  };
  assert.equal(
    formatQueryResult(result, "csv"),
    'd,s,l\n2026-01-26,"a,""b""","[""X"",""Y""]"\n,,\n',
  );
  assert.deepEqual(JSON.parse(formatQueryResult(result, "json")), [
    { d: "2026-01-26", s: 'a,"b"', l: ["X", "Y"] },
    { d: null, s: null, l: null },
  ]);
  assert.match(formatQueryResult(result, "table"), /2 rows\n$/);
});
