import assert from "node:assert/strict";
import { GUARD_PASS, guardSnapshot } from "../../src/observer/guard.ts";
import { validateSnapshot } from "../../src/observer/validation.ts";
import { marketSnapshot } from "../helpers/snapshots.ts";

Deno.test("guard passes a valid snapshot with PASS / OK", () => {
  const s = marketSnapshot();
  assert.deepEqual(guardSnapshot(s, validateSnapshot(s), {}, Date.now()), GUARD_PASS);
  assert.deepEqual(GUARD_PASS, { action: "PASS", reason: "OK" });
});

Deno.test("guard turns a validation BLOCK into BLOCK with every reason", () => {
  const s = marketSnapshot(0, { price: NaN, depth: [-Infinity] });
  const decision = guardSnapshot(s, validateSnapshot(s), {}, Date.now());
  assert.equal(decision.action, "BLOCK");
  assert.equal(decision.blockedBy, "validation");
  assert.equal(
    decision.reason,
    "VALIDATION_BLOCK: observation.inputs.price: expected a finite number, got NaN; " +
      "observation.inputs.depth[0]: expected a finite number, got -Infinity",
  );
});

Deno.test("guard policy blocks sources not allowed and timestamps from the future", () => {
  const s = marketSnapshot();
  const v = validateSnapshot(s);
  const bySource = guardSnapshot(s, v, { allowedSources: ["broker"] }, s.meta.timestamp_ms);
  assert.equal(bySource.blockedBy, "guard");
  assert.match(bySource.reason, /^SOURCE_NOT_ALLOWED: context.source "market"/);
  const future = guardSnapshot(s, v, { maxFutureSkewMs: 1000 }, s.meta.timestamp_ms - 5000);
  assert.equal(future.blockedBy, "guard");
  assert.match(future.reason, /^FUTURE_TIMESTAMP: meta.timestamp_ms is 5000 ms ahead/);
  assert.deepEqual(guardSnapshot(s, v, { maxFutureSkewMs: 1000 }, s.meta.timestamp_ms), GUARD_PASS);
});
