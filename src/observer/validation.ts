/**
 * Validation: judges every field of a snapshot and names every offending path.
 *
 * @module
 */

import type { FieldIssue } from "../contract/field_issue.ts";
import { childPath, fieldIssue } from "../contract/field_issue.ts";
import { isPlainObject } from "../contract/json_value.ts";
import {
  EVENT_MS_EXPECTED,
  EVENT_TIME_EXPECTED,
  isEventMs,
  isEventTimeText,
} from "../contract/event_time.ts";
import { MAX_NESTING_DEPTH } from "../contract/input_json.ts";
import type { Severity } from "../contract/pattern_record.ts";
import { MAX_IDENTIFIER_LENGTH } from "../contract/snapshot.ts";

/** The verdict of {@linkcode validateSnapshot}. */
export interface ValidationResult {
  /** `BLOCK` when there is at least one issue, else `INFO`. */
  readonly severity: Severity;
  /** Every offending field, in document order. */
  readonly issues: readonly FieldIssue[];
}

const IDENTIFIER_EXPECTED = `a string of at most ${MAX_IDENTIFIER_LENGTH} characters`;
const META_STRING_FIELDS = ["timestamp", "session_id", "run_id", "mode", "observer_version"];
const OBSERVATION_PARTS = ["inputs", "computed", "state"];

/**
 * Validates a snapshot (typed or not: in-process producers may be plain JavaScript).
 *
 * Blocks a missing or empty meta field, a `timestamp_ms` that is not an integer epoch time
 * between 1970 and 9999, a `timestamp` that is not an ISO-8601 time with a zone in that range, a
 * missing `source`/`stage`, an identifier (meta or context text) longer than 128 characters, an
 * observation part that is not a plain object or nests deeper than 512 levels, and any
 * non-finite number (NaN, ±Infinity, `1e400`) inside inputs/computed/state.
 *
 * @example
 * ```ts
 * import { validateSnapshot } from "./validation.ts";
 * declare const snapshot: unknown;
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
    } else if (key !== "timestamp" && value.length > MAX_IDENTIFIER_LENGTH) {
      issues.push(fieldIssue(`meta.${key}`, IDENTIFIER_EXPECTED, value));
    }
  }
  if (!isEventMs(meta.timestamp_ms)) {
    issues.push(fieldIssue("meta.timestamp_ms", EVENT_MS_EXPECTED, meta.timestamp_ms));
  }
  const timestamp = meta.timestamp;
  if (typeof timestamp === "string" && timestamp.length > 0 && !isEventTimeText(timestamp)) {
    issues.push(fieldIssue("meta.timestamp", EVENT_TIME_EXPECTED, timestamp));
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
    } else if (value.length > MAX_IDENTIFIER_LENGTH) {
      issues.push(fieldIssue(`context.${key}`, IDENTIFIER_EXPECTED, value));
    }
  }
  for (const key of ["symbol", "market"]) {
    const value = context[key];
    if (value !== undefined && value !== null && typeof value !== "string") {
      issues.push(fieldIssue(`context.${key}`, "a string or null", value));
    } else if (typeof value === "string" && value.length > MAX_IDENTIFIER_LENGTH) {
      issues.push(fieldIssue(`context.${key}`, IDENTIFIER_EXPECTED, value));
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
    const scan = scanPart(value, 1);
    if (scan === Scan.TooDeep) {
      issues.push({
        path,
        expected: `nesting of at most ${MAX_NESTING_DEPTH} levels`,
        got: "a deeper value",
      });
    } else if (scan === Scan.NonFinite) collectNonFinite(value, path, issues);
  }
}

/** What {@linkcode scanPart} found in an observation part. */
const Scan = { Clean: 0, NonFinite: 1, TooDeep: 2 } as const;
type Scan = typeof Scan[keyof typeof Scan];

/**
 * Looks for a non-finite number (NaN, ±Infinity) in `value` without building paths, and stops
 * at {@linkcode MAX_NESTING_DEPTH} levels (in-process producers are not limited by the parser),
 * so the recursion is bounded.
 */
function scanPart(value: unknown, depth: number): Scan {
  if (typeof value === "number") return value - value !== 0 ? Scan.NonFinite : Scan.Clean;
  if (typeof value !== "object" || value === null) return Scan.Clean;
  if (depth > MAX_NESTING_DEPTH) return Scan.TooDeep;
  let found: Scan = Scan.Clean;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const scan = scanPart(value[i], depth + 1);
      if (scan === Scan.TooDeep) return scan;
      if (scan === Scan.NonFinite) found = scan;
    }
    return found;
  }
  for (const key in value) {
    const scan = scanPart((value as Record<string, unknown>)[key], depth + 1);
    if (scan === Scan.TooDeep) return scan;
    if (scan === Scan.NonFinite) found = scan;
  }
  return found;
}

/** Names every non-finite number's path; only called on a part no deeper than the limit. */
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
