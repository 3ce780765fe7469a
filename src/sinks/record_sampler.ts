/**
 * Sampling: which of the records a sink's filter took it keeps. Three rules, any combination:
 * a deterministic probability from a hash of `run_id`, every N-th record per key, and at most
 * R records per key per second of event time. Every rule gives the same records for the same
 * input, in this process, in another one, and in a replay.
 *
 * @module
 */

import type { PatternRecord } from "../contract/pattern_record.ts";

/** What a sampling key is made of. */
export const SAMPLE_KEYS = ["symbol", "market", "source", "stage", "session"] as const;

/** One of {@linkcode SAMPLE_KEYS}. */
export type SampleKey = typeof SAMPLE_KEYS[number];

/** A sampling description; every rule given must keep the record. */
export interface RecordSampleSpec {
  /**
   * Keep a record when the hash of its `run_id` falls below this fraction (0 < p ≤ 1): the same
   * records in every process and every replay.
   */
  readonly probability?: number;
  /** Keep the 1st, (N+1)-th, (2N+1)-th, ... record of each key. */
  readonly every?: number;
  /** Keep at most this many records per key per second of event time (`meta.timestamp_ms`). */
  readonly per_second?: number;
  /** What `every` and `per_second` count by. Default `symbol`. */
  readonly key?: SampleKey;
}

/** A compiled sampler: true keeps the record. It holds one counter per key seen. */
export type RecordSampler = (record: PatternRecord) => boolean;

/**
 * The counters of a sampler's `every` and `per_second` rules, per key, as plain JSON: a follower
 * keeps them in its checkpoint so that a resumed follower keeps the very records an unbroken
 * one would have kept.
 */
export interface SamplerState {
  /** `every`: how many records of each key came since the last one kept. */
  readonly every: Record<string, number>;
  /** `per_second`: the second of event time each key is in, and how many it kept in it. */
  readonly perSecond: Record<string, readonly [second: number, count: number]>;
}

/** A sampler whose counters can be saved and given back to a new one. */
export type StatefulSampler = RecordSampler & {
  /** The counters now. */
  state(): SamplerState;
};

/**
 * A 32-bit FNV-1a hash of `text`'s UTF-16 code units, finished with murmur3's mixer, as a
 * fraction in [0, 1). Stable across processes and versions of this program.
 *
 * @example
 * ```ts
 * import { hashFraction } from "./record_sampler.ts";
 * hashFraction("run-1") === hashFraction("run-1"); // => true
 * ```
 */
export function hashFraction(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 0x1_0000_0000;
}

function keyOf(record: PatternRecord, key: SampleKey): string {
  const value = key === "session"
    ? record.snapshot?.meta?.session_id
    : record.snapshot?.context?.[key];
  return typeof value === "string" ? value : "";
}

/**
 * Compiles a sampling description, its counters starting `from` a saved state when given. Rules
 * apply in the order probability, every, per_second; a record dropped by one is not counted by
 * the next.
 *
 * @example
 * ```ts
 * import { compileSampler } from "./record_sampler.ts";
 * import type { PatternRecord } from "../contract/pattern_record.ts";
 * declare const records: PatternRecord[];
 * const oneInTen = compileSampler({ every: 10 });
 * const kept = records.filter(oneInTen);
 * ```
 */
export function compileSampler(spec: RecordSampleSpec, from?: SamplerState): StatefulSampler {
  const rules: RecordSampler[] = [];
  const seen = new Map<string, number>(Object.entries(from?.every ?? {}));
  const windows = new Map<string, { second: number; count: number }>(
    Object.entries(from?.perSecond ?? {}).map(([k, [second, count]]) => [k, { second, count }]),
  );
  const key = spec.key ?? "symbol";
  if (spec.probability !== undefined && spec.probability < 1) {
    const p = spec.probability;
    rules.push((r) => {
      const runId = r.snapshot?.meta?.run_id;
      return typeof runId === "string" && hashFraction(runId) < p;
    });
  }
  if (spec.every !== undefined && spec.every > 1) {
    const every = spec.every;
    rules.push((r) => {
      const k = keyOf(r, key);
      const n = seen.get(k) ?? 0;
      seen.set(k, n + 1 === every ? 0 : n + 1);
      return n === 0;
    });
  }
  if (spec.per_second !== undefined) {
    const limit = spec.per_second;
    rules.push((r) => {
      const ms = r.snapshot?.meta?.timestamp_ms;
      const second = typeof ms === "number" && Number.isFinite(ms) ? Math.floor(ms / 1000) : -1;
      const k = keyOf(r, key);
      const window = windows.get(k);
      if (window === undefined || window.second !== second) {
        windows.set(k, { second, count: 1 });
        return true;
      }
      if (window.count >= limit) return false;
      window.count++;
      return true;
    });
  }
  const sample: RecordSampler = rules.length === 0
    ? () => true
    : rules.length === 1
    ? rules[0]
    : (r) => rules.every((rule) => rule(r));
  const state = (): SamplerState => ({
    every: Object.fromEntries(seen),
    perSecond: Object.fromEntries(
      [...windows].map(([k, w]) => [k, [w.second, w.count] as const]),
    ),
  });
  return Object.assign(sample, { state });
}
