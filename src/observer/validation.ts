/**
 * Validation: judges every field of a snapshot and names every offending path.
 *
 * @module
 */

import type { FieldIssue } from "../contract/field_issue.ts";
import { childPath, fieldIssue } from "../contract/field_issue.ts";
import { isPlainObject } from "../contract/json_value.ts";
import type { Severity } from "../contract/pattern_record.ts";

/** The verdict of {@linkcode validateSnapshot}. */
export interface ValidationResult {
  /** `BLOCK` when there is at least one issue, else `INFO`. */
  readonly severity: Severity;
  /** Every offending field, in document order. */
  readonly issues: readonly FieldIssue[];
}

const META_STRING_FIELDS = ["timestamp", "session_id", "run_id", "mode", "observer_version"];
const OBSERVATION_PARTS = ["inputs", "computed", "state"];

/**
 * Validates a snapshot (typed or not: in-process producers may be plain JavaScript).
 *
 * Blocks a missing or empty meta field, a `timestamp_ms` that is not an integer, a missing
 * `source`/`stage`, an observation part that is not a plain object, and any non-finite number
 * (NaN, ±Infinity) inside inputs/computed/state.
 *
 * @example
 * ```ts
 * validateSnapshot(snapshot).issues;
 * // => [{ path: "observation.inputs.depth[1]", expected: "a finite number", got: "-Infinity" }]
 * ```
 */
export function validateSnapshot(snapshot: unknown): ValidationResult {
  const issues: FieldIssue[] = [];
  if (!isPlainObject(snapshot)) {
    issues.push(fieldIssue("(snapshot)", "an object", snapshot));
    return { severity: "BLOCK", issues };
  }
  checkMeta(snapshot.meta, issues);
  checkContext(snapshot.context, issues);
  checkObservation(snapshot.observation, issues);
  return { severity: issues.length === 0 ? "INFO" : "BLOCK", issues };
}

function checkMeta(meta: unknown, issues: FieldIssue[]): void {
  if (!isPlainObject(meta)) {
    issues.push(fieldIssue("meta", "an object", meta));
    return;
  }
  for (const key of META_STRING_FIELDS) {
    const value = meta[key];
    if (typeof value !== "string" || value.length === 0) {
      issues.push(fieldIssue(`meta.${key}`, "a non-empty string", value));
    }
  }
  if (!Number.isSafeInteger(meta.timestamp_ms)) {
    issues.push(
      fieldIssue("meta.timestamp_ms", "an integer (epoch milliseconds)", meta.timestamp_ms),
    );
  }
}

function checkContext(context: unknown, issues: FieldIssue[]): void {
  if (!isPlainObject(context)) {
    issues.push(fieldIssue("context", "an object", context));
    return;
  }
  for (const key of ["source", "stage"]) {
    const value = context[key];
    if (typeof value !== "string" || value.length === 0) {
      issues.push(fieldIssue(`context.${key}`, "a non-empty string", value));
    }
  }
  for (const key of ["symbol", "market"]) {
    const value = context[key];
    if (value !== undefined && value !== null && typeof value !== "string") {
      issues.push(fieldIssue(`context.${key}`, "a string or null", value));
    }
  }
}

function checkObservation(observation: unknown, issues: FieldIssue[]): void {
  if (!isPlainObject(observation)) {
    issues.push(fieldIssue("observation", "an object", observation));
    return;
  }
  for (const part of OBSERVATION_PARTS) {
    const value = observation[part];
    const path = `observation.${part}`;
    if (!isPlainObject(value)) {
      issues.push(fieldIssue(path, "a plain object", value));
      continue;
    }
    if (hasNonFinite(value)) collectNonFinite(value, path, issues);
  }
}

/** Fast check without building paths; the slow walk runs only when this finds something. */
function hasNonFinite(value: unknown): boolean {
  if (typeof value === "number") return value - value !== 0; // NaN and ±Infinity
  if (typeof value !== "object" || value === null) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (hasNonFinite(value[i])) return true;
    return false;
  }
  for (const key in value) {
    if (hasNonFinite((value as Record<string, unknown>)[key])) return true;
  }
  return false;
}

function collectNonFinite(value: unknown, path: string, issues: FieldIssue[]): void {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) issues.push(fieldIssue(path, "a finite number", value));
    return;
  }
  if (typeof value !== "object" || value === null) return;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) collectNonFinite(value[i], childPath(path, i), issues);
    return;
  }
  for (const key in value) {
    collectNonFinite((value as Record<string, unknown>)[key], childPath(path, key), issues);
  }
}
