/**
 * PatternRecord: one line of a record file, exactly as the Python QTS writes and reads it.
 *
 * @module
 */

import { EVENT_MS_EXPECTED, isEventMs } from "./event_time.ts";
import type { FieldIssue } from "./field_issue.ts";
import { fieldIssue } from "./field_issue.ts";
import type { JsonObject, JsonValue } from "./json_value.ts";
import { isPlainObject } from "./json_value.ts";
import type { ObservationSnapshot } from "./snapshot.ts";

/** Validation severity: `INFO` passes, `BLOCK` stops the snapshot. */
export type Severity = "INFO" | "BLOCK";

/** Guard action. */
export type GuardAction = "PASS" | "BLOCK";

/** `metadata._schema`. */
export interface RecordSchemaInfo {
  /** Always `PatternRecord`. */
  record_schema_name: "PatternRecord";
  /** Version of the record layout, e.g. `v1.1.0` ({@linkcode RECORD_SCHEMA_VERSION}). */
  record_schema_version: string;
  /** Oldest record schema a reader must understand, e.g. `v1.0.0`. */
  compat_min_version: string;
  /** Implementation that wrote the record: `observer_core_deno` here, `observer_core` in Python. */
  producer: string;
  /** Build of the producer, copied from the stamp. */
  build_id: string;
  /** Dataset version, copied from the stamp. */
  dataset_version: string;
  /** Copy of `metadata.generated_at`. */
  generated_at: string;
  /** Copy of `metadata.session_id`. */
  session_id: string;
  /** Copy of `metadata.mode`. */
  mode: string;
}

/** `metadata._quality`. */
export interface RecordQuality {
  /** Quality flags: `EMPTY_INPUTS`, `NO_COMPUTED`, `NO_STATE` (empty when none apply). */
  flags: string[];
  /** Counting stats: part key counts, event time, `has_price`, `has_volume`, ... */
  stats: Record<string, JsonValue>;
}

/** `metadata._interpretation`: neutral descriptions, never advice. */
export interface RecordInterpretation {
  /** Source, stage, symbol and market, plus price and volume when the inputs have them. */
  summary: Record<string, JsonValue>;
  /** `HAS_PRICE`, `HAS_VOLUME`, `HAS_COMPUTED`, `HAS_STATE` as they apply. */
  hints: string[];
}

/** `metadata`. The underscored blocks are added by enrichment. */
export interface RecordMetadata {
  /** Schema version from the producer's stamp, e.g. `v1.0.0`. */
  schema_version: string;
  /** Dataset version from the producer's stamp, e.g. `v1.0.0`. */
  dataset_version: string;
  /** Build of the producer, e.g. `observer_core_deno_v0.1.0`. */
  build_id: string;
  /** When the record was made: ISO-8601 UTC with milliseconds and `Z`. */
  generated_at: string;
  /** Copy of the snapshot's `meta.session_id`. */
  session_id: string;
  /** Copy of the snapshot's `meta.mode` (`DEV`, `PROD`, ...). */
  mode: string;
  /** Always `[]`, as in the Python records (quality flags live in `_quality`). */
  quality_flags: string[];
  /** Validation result; `INFO` for every written record. */
  validation: { readonly severity: Severity };
  /** Guard decision; `PASS` / `OK` for every written record. */
  guard: { readonly action: GuardAction; readonly reason: string };
  /** Schema and producer description, added by enrichment. */
  _schema?: RecordSchemaInfo;
  /** Quality flags and stats, added by enrichment. */
  _quality?: RecordQuality;
  /** Neutral summary and hints, added by enrichment. */
  _interpretation?: RecordInterpretation;
}

/** One record: the snapshot unchanged, reserved slots, and metadata. */
export interface PatternRecord {
  /** The snapshot, unchanged. */
  snapshot: ObservationSnapshot;
  /** Reserved slot; `{}` when written by the Observer. */
  regime_tags: JsonObject;
  /** Reserved slot; `[]` when written by the Observer. */
  condition_tags: JsonValue[];
  /** Reserved slot; `{}` when written by the Observer. */
  outcome_labels: JsonObject;
  /** Producer, validation, guard and enrichment metadata. */
  metadata: RecordMetadata;
}

/** Names stamped into every record by this producer. */
export interface RecordStamp {
  /** Written to `metadata.schema_version`. */
  schema_version: string;
  /** Written to `metadata.dataset_version` and `_schema.dataset_version`. */
  dataset_version: string;
  /** Written to `metadata.build_id` and `_schema.build_id`. */
  build_id: string;
  /** Written to `_schema.producer`, e.g. `observer_core_deno`. */
  producer: string;
}

/** The stamp this implementation writes. */
export const DEFAULT_RECORD_STAMP: RecordStamp = {
  schema_version: "v1.0.0",
  dataset_version: "v1.0.0",
  build_id: "observer_core_deno_v0.1.0",
  producer: "observer_core_deno",
};

/** The `validation` block of every record that passed (shared and frozen). */
export const VALIDATION_PASSED: RecordMetadata["validation"] = Object.freeze({ severity: "INFO" });

/** The `guard` block of every record that passed (shared and frozen). */
export const GUARD_PASSED: RecordMetadata["guard"] = Object.freeze({
  action: "PASS",
  reason: "OK",
});

/** `_schema.record_schema_version` this implementation writes. */
export const RECORD_SCHEMA_VERSION = "v1.1.0";

/** Oldest record schema a reader of our records must understand. */
export const COMPAT_MIN_VERSION = "v1.0.0";

/**
 * Builds the record for a snapshot that passed the guard (enrichment adds the `_` blocks).
 *
 * @example
 * ```ts
 * import { buildPatternRecord, DEFAULT_RECORD_STAMP } from "./pattern_record.ts";
 * import type { ObservationSnapshot } from "./snapshot.ts";
 * declare const snapshot: ObservationSnapshot;
 * const record = buildPatternRecord(snapshot, DEFAULT_RECORD_STAMP, "2026-01-26T03:18:20.080Z");
 * record.metadata.guard; // => { action: "PASS", reason: "OK" }
 * ```
 */
export function buildPatternRecord(
  snapshot: ObservationSnapshot,
  stamp: RecordStamp,
  generatedAt: string,
): PatternRecord {
  return recordOf(snapshot, stamp, generatedAt, {
    session_id: snapshot.meta.session_id,
    mode: snapshot.meta.mode,
    validation: VALIDATION_PASSED,
    guard: GUARD_PASSED,
  });
}

/** The record skeleton both builders share: reserved slots, stamp and the given verdict. */
function recordOf(
  snapshot: ObservationSnapshot,
  stamp: RecordStamp,
  generatedAt: string,
  verdict: Pick<RecordMetadata, "session_id" | "mode" | "validation" | "guard">,
): PatternRecord {
  return {
    snapshot,
    regime_tags: {},
    condition_tags: [],
    outcome_labels: {},
    metadata: {
      schema_version: stamp.schema_version,
      dataset_version: stamp.dataset_version,
      build_id: stamp.build_id,
      generated_at: generatedAt,
      session_id: verdict.session_id,
      mode: verdict.mode,
      quality_flags: [],
      validation: verdict.validation,
      guard: verdict.guard,
    },
  };
}

/**
 * Builds the record of a blocked snapshot, for a sink whose filter asks for blocked ones (a
 * review file): `validation.severity` is `BLOCK` when validation stopped it, `guard` holds
 * `BLOCK` and the reasons, and no enrichment is added. Fields that validation found missing stay
 * missing; `session_id` and `mode` are `""` when the snapshot has none. A non-finite number in
 * it is written as `null` by JSON (the reason names its path; the exact line is in the dead-letter
 * file).
 *
 * @example
 * ```ts
 * import { buildBlockedRecord, DEFAULT_RECORD_STAMP } from "./pattern_record.ts";
 * import type { ObservationSnapshot } from "./snapshot.ts";
 * declare const snapshot: ObservationSnapshot;
 * const record = buildBlockedRecord(snapshot, DEFAULT_RECORD_STAMP, "2026-01-26T03:18:20.080Z", {
 *   reason: "SOURCE_NOT_ALLOWED: source \"dark\"",
 *   blockedBy: "guard",
 * });
 * record.metadata.guard.action; // => "BLOCK"
 * ```
 */
export function buildBlockedRecord(
  snapshot: ObservationSnapshot,
  stamp: RecordStamp,
  generatedAt: string,
  block: { readonly reason: string; readonly blockedBy: "validation" | "guard" },
): PatternRecord {
  const meta = (snapshot?.meta ?? {}) as { session_id?: unknown; mode?: unknown };
  const text = (value: unknown) => typeof value === "string" ? value : "";
  return recordOf(snapshot, stamp, generatedAt, {
    session_id: text(meta.session_id),
    mode: text(meta.mode),
    validation: { severity: block.blockedBy === "validation" ? "BLOCK" : "INFO" },
    guard: { action: "BLOCK", reason: block.reason },
  });
}

/** The outcome of {@linkcode parsePatternRecord}. */
export type RecordParse =
  | { readonly ok: true; readonly record: PatternRecord }
  | { readonly ok: false; readonly issues: readonly FieldIssue[] };

/**
 * Turns an untrusted value (a parsed line of a record file) into a record or precise issues.
 * It checks the envelope every reader relies on: `snapshot` with its three sections (and a
 * `meta.timestamp_ms`, when present, in the accepted event-time range), the reserved slots, and
 * `metadata` with `generated_at`, `session_id` and `mode`. Unknown extra fields are kept.
 *
 * @example
 * ```ts
 * import { parsePatternRecord } from "./pattern_record.ts";
 * declare const line: string;
 * parsePatternRecord(JSON.parse(line));
 * ```
 */
export function parsePatternRecord(value: unknown): RecordParse {
  if (!isPlainObject(value)) {
    return { ok: false, issues: [fieldIssue("(record)", "a JSON object", value)] };
  }
  const issues: FieldIssue[] = [];
  const snapshot = value.snapshot;
  if (!isPlainObject(snapshot)) {
    issues.push(fieldIssue("snapshot", "an object", snapshot));
  } else {
    for (const section of ["meta", "context", "observation"]) {
      if (!isPlainObject(snapshot[section])) {
        issues.push(fieldIssue(`snapshot.${section}`, "an object", snapshot[section]));
      }
    }
    const meta = snapshot.meta;
    if (isPlainObject(meta) && meta.timestamp_ms !== undefined && !isEventMs(meta.timestamp_ms)) {
      issues.push(fieldIssue("snapshot.meta.timestamp_ms", EVENT_MS_EXPECTED, meta.timestamp_ms));
    }
  }
  for (const slot of ["regime_tags", "outcome_labels"]) {
    if (!isPlainObject(value[slot])) issues.push(fieldIssue(slot, "an object", value[slot]));
  }
  if (!Array.isArray(value.condition_tags)) {
    issues.push(fieldIssue("condition_tags", "an array", value.condition_tags));
  }
  const metadata = value.metadata;
  if (!isPlainObject(metadata)) {
    issues.push(fieldIssue("metadata", "an object", metadata));
  } else {
    for (const key of ["generated_at", "session_id", "mode"]) {
      if (typeof metadata[key] !== "string") {
        issues.push(fieldIssue(`metadata.${key}`, "a string", metadata[key]));
      }
    }
  }
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, record: value as unknown as PatternRecord };
}
