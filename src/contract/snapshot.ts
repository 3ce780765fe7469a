/**
 * ObservationSnapshot: what the trading runtime hands the Observer.
 *
 * Field names are the Python QTS contract (see DESIGN.md) and must not change.
 *
 * @module
 */

import type { FieldIssue } from "./field_issue.ts";
import { fieldIssue } from "./field_issue.ts";
import { isPlainObject, type JsonObject } from "./json_value.ts";

/** Where a snapshot comes from. Other strings are accepted for forward compatibility. */
export type SnapshotSource =
  | "market"
  | "broker"
  | "system"
  | "external"
  | (string & Record<never, never>);

/** What kind of data a snapshot carries. */
export type SnapshotStage = "raw" | "computed" | "state" | (string & Record<never, never>);

/** `snapshot.meta`. */
export interface SnapshotMeta {
  /** ISO-8601 UTC with milliseconds and `Z`, e.g. `2026-01-26T03:18:20.080Z`. */
  timestamp: string;
  /** The same instant as integer epoch milliseconds. */
  timestamp_ms: number;
  /** Trading session the snapshot belongs to. */
  session_id: string;
  /** Unique per snapshot. */
  run_id: string;
  /** `DEV`, `PROD`, ... */
  mode: string;
  /** Observer version that made the snapshot, e.g. `v1.0.0`. */
  observer_version: string;
}

/** `snapshot.context`. */
export interface SnapshotContext {
  /** Where the data comes from: `market`, `broker`, `system`, `external`. */
  source: SnapshotSource;
  /** What kind of data it is: `raw`, `computed`, `state`. */
  stage: SnapshotStage;
  /** Instrument code, e.g. `005930`; absent or `null` when not about one symbol. */
  symbol?: string | null;
  /** Market the symbol trades on, e.g. `KRX`; absent or `null` when unknown. */
  market?: string | null;
}

/** `snapshot.observation`: three plain objects of JSON values. */
export interface SnapshotObservation {
  /** Data as received, e.g. `{ price, volume }`. */
  inputs: JsonObject;
  /** Values the runtime derived, e.g. indicators. */
  computed: JsonObject;
  /** Runtime state, e.g. the position. */
  state: JsonObject;
}

/** One observation handed to the Observer. */
export interface ObservationSnapshot {
  /** Time, session and ids. */
  meta: SnapshotMeta;
  /** Source, stage, symbol and market. */
  context: SnapshotContext;
  /** The observed values. */
  observation: SnapshotObservation;
}

/**
 * `meta.mode` of the snapshots the Observer makes itself (the simulated market, market archives)
 * when none is given: `DEV`. Recorded production data is replayed with an explicit `PROD`.
 */
export const DEFAULT_MODE = "DEV";

/** The version this implementation stamps into `meta.observer_version`. */
export const OBSERVER_VERSION = "v1.0.0";

/**
 * The longest identifier a snapshot may carry, in characters: the meta texts other than
 * `timestamp` (`session_id`, `run_id`, `mode`, `observer_version`) and the context texts
 * (`source`, `stage`, `symbol`, `market`). Validation blocks a longer one, so that matching a
 * record against filters stays cheap.
 */
export const MAX_IDENTIFIER_LENGTH = 128;

/** What {@linkcode buildSnapshot} needs; time and ids are filled in. */
export interface SnapshotInit {
  /** `meta.session_id`. */
  session_id: string;
  /** `meta.mode`, e.g. `DEV`. */
  mode: string;
  /** `context.source`. */
  source: SnapshotSource;
  /** `context.stage`. */
  stage: SnapshotStage;
  /** `context.symbol`; left out of the snapshot when undefined. */
  symbol?: string | null;
  /** `context.market`; left out of the snapshot when undefined. */
  market?: string | null;
  /** `observation.inputs`; defaults to `{}`. */
  inputs?: JsonObject;
  /** `observation.computed`; defaults to `{}`. */
  computed?: JsonObject;
  /** `observation.state`; defaults to `{}`. */
  state?: JsonObject;
  /** Event time in epoch ms; defaults to `Date.now()`. */
  timestamp_ms?: number;
  /** Defaults to a fresh UUID. */
  run_id?: string;
  /** Defaults to {@linkcode OBSERVER_VERSION}. */
  observer_version?: string;
}

/**
 * Builds a snapshot, filling `timestamp`, `timestamp_ms` and a fresh `run_id`.
 *
 * @example
 * ```ts
 * const s = buildSnapshot({ session_id: "s1", mode: "DEV", source: "market", stage: "raw",
 *   inputs: { price: 71000 } });
 * s.meta.run_id; // a fresh UUID
 * ```
 */
export function buildSnapshot(init: SnapshotInit): ObservationSnapshot {
  const ms = init.timestamp_ms ?? Date.now();
  const context: SnapshotContext = { source: init.source, stage: init.stage };
  if (init.symbol !== undefined) context.symbol = init.symbol;
  if (init.market !== undefined) context.market = init.market;
  return {
    meta: {
      timestamp: new Date(ms).toISOString(),
      timestamp_ms: ms,
      session_id: init.session_id,
      run_id: init.run_id ?? crypto.randomUUID(),
      mode: init.mode,
      observer_version: init.observer_version ?? OBSERVER_VERSION,
    },
    context,
    observation: {
      inputs: init.inputs ?? {},
      computed: init.computed ?? {},
      state: init.state ?? {},
    },
  };
}

/** The outcome of {@linkcode parseSnapshot}. */
export type SnapshotParse =
  | { readonly ok: true; readonly snapshot: ObservationSnapshot }
  | { readonly ok: false; readonly issues: readonly FieldIssue[] };

/**
 * Turns an untrusted value (a parsed JSON line, say) into a snapshot, or the list of reasons it
 * is not one.
 *
 * It rejects what cannot be a snapshot at all: a value that is not an object, or whose `meta`,
 * `context` or `observation` is not an object. The fields inside are then judged by validation
 * (`validateSnapshot`), which blocks the snapshot and names every offending path, so a snapshot
 * with a bad field is counted as blocked rather than lost as unreadable.
 *
 * @example
 * ```ts
 * parseSnapshot(42); // => { ok: false, issues: [{ path: "(snapshot)", ... }] }
 * ```
 */
export function parseSnapshot(value: unknown): SnapshotParse {
  if (!isPlainObject(value)) {
    return { ok: false, issues: [fieldIssue("(snapshot)", "a JSON object", value)] };
  }
  const issues: FieldIssue[] = [];
  for (const section of ["meta", "context", "observation"] as const) {
    if (!isPlainObject(value[section])) {
      issues.push(fieldIssue(section, "an object", value[section]));
    }
  }
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, snapshot: value as unknown as ObservationSnapshot };
}
