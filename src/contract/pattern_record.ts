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
  record_schema_name: "PatternRecord";
  record_schema_version: string;
  compat_min_version: string;
  producer: string;
  build_id: string;
  dataset_version: string;
  generated_at: string;
  session_id: string;
  mode: string;
}

/** `metadata._quality`. */
export interface RecordQuality {
  flags: string[];
  stats: Record<string, JsonValue>;
}

/** `metadata._interpretation`: neutral descriptions, never advice. */
export interface RecordInterpretation {
  summary: Record<string, JsonValue>;
  hints: string[];
}

/** `metadata`. The underscored blocks are added by enrichment. */
export interface RecordMetadata {
  schema_version: string;
  dataset_version: string;
  build_id: string;
  generated_at: string;
  session_id: string;
  mode: string;
  quality_flags: string[];
  validation: { readonly severity: Severity };
  guard: { readonly action: GuardAction; readonly reason: string };
  _schema?: RecordSchemaInfo;
  _quality?: RecordQuality;
  _interpretation?: RecordInterpretation;
}

/** One record: the snapshot unchanged, reserved slots, and metadata. */
export interface PatternRecord {
  snapshot: ObservationSnapshot;
  regime_tags: JsonObject;
  condition_tags: JsonValue[];
  outcome_labels: JsonObject;
  metadata: RecordMetadata;
}

/** Names stamped into every record by this producer. */
export interface RecordStamp {
  schema_version: string;
  dataset_version: string;
  build_id: string;
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
 * const record = buildPatternRecord(snapshot, DEFAULT_RECORD_STAMP, "2026-01-26T03:18:20.080Z");
 * record.metadata.guard; // => { action: "PASS", reason: "OK" }
 * ```
 */
export function buildPatternRecord(
  snapshot: ObservationSnapshot,
  stamp: RecordStamp,
  generatedAt: string,
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
      session_id: snapshot.meta.session_id,
      mode: snapshot.meta.mode,
      quality_flags: [],
      validation: VALIDATION_PASSED,
      guard: GUARD_PASSED,
    },
  };
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
