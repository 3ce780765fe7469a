import assert from "node:assert/strict";
import { RollingFeatures } from "../../src/runtime/features.ts";

Deno.test("RollingFeatures: return, moving average and volatility over the window", () => {
  const f = new RollingFeatures(3);
  assert.deepEqual(f.push(100), { return_1: null, sma: 100, volatility: null, window_fill: 1 });
  const second = f.push(110);
  assert.equal(second.return_1?.toFixed(6), "0.100000");
  assert.equal(second.volatility, null);
  const third = f.push(99);
  assert.equal(third.sma, 103);
  const r1 = 0.1;
  const r2 = 99 / 110 - 1;
  const mean = (r1 + r2) / 2;
  const expected = Math.sqrt(((r1 - mean) ** 2 + (r2 - mean) ** 2) / 1);
  assert.ok(Math.abs(third.volatility! - expected) < 1e-12);
  const fourth = f.push(99);
  assert.equal(fourth.window_fill, 3);
  assert.equal(fourth.sma, (110 + 99 + 99) / 3);
  assert.throws(() => new RollingFeatures(1), /expected an integer ≥ 2, got 1/);
});
