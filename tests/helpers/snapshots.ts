/**
 * Snapshots and records for tests, built through the real contract builders.
 *
 * @module
 */

import { buildSnapshot, type ObservationSnapshot } from "../../src/contract/snapshot.ts";
import type { JsonObject } from "../../src/contract/json_value.ts";

/** A valid market snapshot; `inputs` overrides the default price/volume. */
export function marketSnapshot(i = 0, inputs?: JsonObject): ObservationSnapshot {
  return buildSnapshot({
    session_id: "test-session",
    mode: "DEV",
    source: "market",
    stage: "raw",
    symbol: "005930",
    market: "KRX",
    timestamp_ms: Date.UTC(2026, 0, 26, 3, 0, 0) + i,
    run_id: `run-${i}`,
    inputs: inputs ?? { price: 71000 + i, volume: 10 + i, note: "유니코드 ✓" },
    computed: { sma: 71000.5 },
    state: { position: 0 },
  });
}
