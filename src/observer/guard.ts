/**
 * Guard: turns a validation verdict (and the guard's own policy) into PASS or BLOCK.
 *
 * @module
 */

import { formatFieldIssues } from "../contract/field_issue.ts";
import { GUARD_PASSED, type GuardAction } from "../contract/pattern_record.ts";
import type { ObservationSnapshot } from "../contract/snapshot.ts";
import type { ValidationResult } from "./validation.ts";

/** Extra rules the guard applies to snapshots that passed validation. All off by default. */
export interface GuardPolicy {
  /** Only these `context.source` values pass. */
  readonly allowedSources?: readonly string[];
  /** Block snapshots whose event time is further than this many ms ahead of `now`. */
  readonly maxFutureSkewMs?: number;
}

/** What the guard decided and why; `blockedBy` says which stage stopped the snapshot. */
export interface GuardDecision {
  /** `PASS` or `BLOCK`. */
  readonly action: GuardAction;
  /** `OK`, or a code and explanation such as `SOURCE_NOT_ALLOWED: ...`. */
  readonly reason: string;
  /** Set when blocked: the stage that stopped the snapshot. */
  readonly blockedBy?: "validation" | "guard";
}

/** The decision for a snapshot that passes. */
export const GUARD_PASS: GuardDecision = GUARD_PASSED;

/**
 * Decides whether a snapshot may become a record.
 *
 * @example
 * ```ts
 * import { guardSnapshot } from "./guard.ts";
 * import { validateSnapshot } from "./validation.ts";
 * import type { ObservationSnapshot } from "../contract/snapshot.ts";
 * declare const snapshot: ObservationSnapshot;
 * guardSnapshot(snapshot, validateSnapshot(snapshot), {}, Date.now());
 * // => { action: "PASS", reason: "OK" }
 * ```
 */
export function guardSnapshot(
  snapshot: ObservationSnapshot,
  validation: ValidationResult,
  policy: GuardPolicy,
  nowMs: number,
): GuardDecision {
  if (validation.severity === "BLOCK") {
    return {
      action: "BLOCK",
      reason: `VALIDATION_BLOCK: ${formatFieldIssues(validation.issues)}`,
      blockedBy: "validation",
    };
  }
  const source = snapshot.context.source;
  if (policy.allowedSources !== undefined && !policy.allowedSources.includes(source)) {
    return {
      action: "BLOCK",
      reason: `SOURCE_NOT_ALLOWED: context.source ${JSON.stringify(source)} is not one of ` +
        policy.allowedSources.map((s) => JSON.stringify(s)).join(", "),
      blockedBy: "guard",
    };
  }
  if (
    policy.maxFutureSkewMs !== undefined &&
    snapshot.meta.timestamp_ms - nowMs > policy.maxFutureSkewMs
  ) {
    return {
      action: "BLOCK",
      reason: `FUTURE_TIMESTAMP: meta.timestamp_ms is ${snapshot.meta.timestamp_ms - nowMs} ms ` +
        `ahead of the clock (limit ${policy.maxFutureSkewMs} ms)`,
      blockedBy: "guard",
    };
  }
  return GUARD_PASS;
}
