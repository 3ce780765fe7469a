import assert from "node:assert/strict";
import { seededRandom, simulateMarket } from "../../src/sources/simulated_market.ts";

Deno.test("seededRandom is deterministic per seed and stays in [0, 1)", () => {
  const a = seededRandom(42);
  const b = seededRandom(42);
  const c = seededRandom(43);
  const xs = Array.from({ length: 1000 }, () => a());
  assert.deepEqual(Array.from({ length: 1000 }, () => b()), xs);
  assert.notEqual(c(), xs[0]);
  assert.ok(xs.every((x) => x >= 0 && x < 1));
});

Deno.test("simulateMarket yields ticks × symbols quotes with sane bid < price < ask", () => {
  const ticks = [
    ...simulateMarket({ symbols: ["A", "B"], ticks: 50, seed: 1, startMs: 1000, stepMs: 500 }),
  ];
  assert.equal(ticks.length, 100);
  assert.deepEqual(ticks.slice(0, 2).map((t) => [t.symbol, t.index, t.timestampMs]), [[
    "A",
    0,
    1000,
  ], ["B", 0, 1000]]);
  assert.equal(ticks[99].timestampMs, 1000 + 49 * 500);
  for (const t of ticks) {
    assert.ok(t.bid < t.price && t.price < t.ask, JSON.stringify(t));
    assert.ok(Number.isInteger(t.price) && t.volume >= 100);
    assert.equal(t.market, "SIM");
  }
  const again = [
    ...simulateMarket({ symbols: ["A", "B"], ticks: 50, seed: 1, startMs: 1000, stepMs: 500 }),
  ];
  assert.deepEqual(again, ticks);
});
