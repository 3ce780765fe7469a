/**
 * Writes large snapshot-line files for end-to-end tests and benchmarks, streaming in chunks so
 * the generator itself stays small.
 *
 * @module
 */

import { buildSnapshot, type ObservationSnapshot } from "../../src/contract/snapshot.ts";
import {
  buildPatternRecord,
  DEFAULT_RECORD_STAMP,
  type PatternRecord,
} from "../../src/contract/pattern_record.ts";

const SYMBOLS = ["005930", "000660", "035420", "051910"];

/** One synthetic market snapshot, deterministic for `i` (benchmarks and large-input tests). */
export function syntheticSnapshot(i: number): ObservationSnapshot {
  return buildSnapshot({
    session_id: "bench",
    mode: "DEV",
    source: "market",
    stage: "raw",
    symbol: SYMBOLS[i % 4],
    market: "KRX",
    timestamp_ms: 1769396400000 + i,
    run_id: `r${i}`,
    inputs: { price: 70000 + (i % 1000), volume: 100 + (i % 50), bid: 69990, ask: 70010 },
    computed: { return_1: 0.0001 * (i % 7), sma: 70000.5, volatility: 0.012 },
    state: { position: 0, tick_index: i },
  });
}

/** {@linkcode syntheticSnapshot} as one JSON line (no newline). */
export function snapshotLine(i: number): string {
  return JSON.stringify(syntheticSnapshot(i));
}

/** The record of {@linkcode syntheticSnapshot} (generated_at: its event time). */
export function syntheticRecord(i: number): PatternRecord {
  const s = syntheticSnapshot(i);
  return buildPatternRecord(s, DEFAULT_RECORD_STAMP, s.meta.timestamp);
}

/** {@linkcode syntheticRecord} as one JSON line (no newline), as a record file holds it. */
export function recordLine(i: number): string {
  return JSON.stringify(syntheticRecord(i));
}

/** Writes `count` snapshot lines to `path` and returns the file size in bytes. */
export async function writeSnapshotFile(path: string, count: number): Promise<number> {
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  const encoder = new TextEncoder();
  let size = 0;
  for (let start = 0; start < count; start += 10_000) {
    let chunk = "";
    for (let i = start; i < Math.min(count, start + 10_000); i++) chunk += snapshotLine(i) + "\n";
    const bytes = encoder.encode(chunk);
    let off = 0;
    while (off < bytes.length) off += await file.write(bytes.subarray(off));
    size += bytes.length;
  }
  return size;
}
