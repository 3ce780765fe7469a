/**
 * The judgement of one snapshot, with no I/O: validate → guard → PatternRecord → enrich, or the
 * block and its reason. The Observer runs it on every snapshot it is handed; parallel recording
 * runs the same code in its workers, so their records are the Observer's, byte for byte.
 *
 * @module
 */

import {
  buildBlockedRecord,
  buildPatternRecord,
  DEFAULT_RECORD_STAMP,
  type PatternRecord,
  type RecordStamp,
} from "../contract/pattern_record.ts";
import type { ObservationSnapshot } from "../contract/snapshot.ts";
import { enrichRecord } from "./enrich.ts";
import { type GuardPolicy, guardSnapshot } from "./guard.ts";
import { validateSnapshot } from "./validation.ts";

/**
 * Where `generated_at` comes from: `wall` uses the clock, `snapshot` copies the snapshot's own
 * `meta.timestamp` (deterministic, for replay).
 */
export const GENERATED_AT_CLOCKS = ["wall", "snapshot"] as const;

/** One of {@linkcode GENERATED_AT_CLOCKS}. */
export type GeneratedAtClock = typeof GENERATED_AT_CLOCKS[number];

/** How snapshots are judged and stamped: plain data, so a worker can be handed it. */
export interface JudgeSettings {
  /** Extra guard rules. Default none. */
  readonly guardPolicy?: GuardPolicy;
  /** Names stamped into each record. Default {@linkcode DEFAULT_RECORD_STAMP}. */
  readonly stamp?: RecordStamp;
  /** Where `generated_at` comes from. Default `wall`. */
  readonly generatedAt?: GeneratedAtClock;
}

/** What became of a snapshot: its record, or why it was blocked. */
export type Verdict =
  | { readonly action: "PASS"; readonly runId: string; readonly record: PatternRecord }
  | {
    readonly action: "BLOCK";
    readonly runId: string | undefined;
    readonly blockedBy: "validation" | "guard";
    readonly reason: string;
    /** The `generated_at` a record of the block would carry. */
    readonly generatedAt: string;
  };

/**
 * Judges snapshots (see the module notes).
 *
 * @example
 * ```ts
 * import { SnapshotJudge } from "./snapshot_judge.ts";
 * import type { ObservationSnapshot } from "../contract/snapshot.ts";
 * declare const snapshot: ObservationSnapshot;
 * const verdict = new SnapshotJudge({ generatedAt: "snapshot" }).judge(snapshot);
 * if (verdict.action === "PASS") JSON.stringify(verdict.record);
 * ```
 */
export class SnapshotJudge {
  readonly #policy: GuardPolicy;
  readonly #stamp: RecordStamp;
  readonly #clock: GeneratedAtClock;
  readonly #now: () => number;
  #isoMs = NaN;
  #isoText = "";

  /** `now`: epoch ms for the guard and `generated_at`; default `Date.now`. */
  constructor(settings: JudgeSettings = {}, now: () => number = Date.now) {
    this.#policy = settings.guardPolicy ?? {};
    this.#stamp = settings.stamp ?? DEFAULT_RECORD_STAMP;
    this.#clock = settings.generatedAt ?? "wall";
    this.#now = now;
  }

  /** ISO text of `ms`, reusing the last one within the same millisecond. */
  #iso(ms: number): string {
    if (ms !== this.#isoMs) {
      this.#isoMs = ms;
      this.#isoText = new Date(ms).toISOString();
    }
    return this.#isoText;
  }

  /** Validates and guards `snapshot`; builds and enriches its record when it passes. */
  judge(snapshot: ObservationSnapshot): Verdict {
    const validation = validateSnapshot(snapshot);
    const now = this.#now();
    const decision = guardSnapshot(snapshot, validation, this.#policy, now);
    const runId = typeof snapshot?.meta?.run_id === "string" ? snapshot.meta.run_id : undefined;
    if (decision.action === "BLOCK") {
      const stamped = snapshot?.meta?.timestamp;
      return {
        action: "BLOCK",
        runId,
        blockedBy: decision.blockedBy ?? "guard",
        reason: decision.reason,
        generatedAt: this.#clock === "snapshot" && typeof stamped === "string"
          ? stamped
          : this.#iso(now),
      };
    }
    const generatedAt = this.#clock === "snapshot" ? snapshot.meta.timestamp : this.#iso(now);
    const record = enrichRecord(
      buildPatternRecord(snapshot, this.#stamp, generatedAt),
      this.#stamp,
    );
    return { action: "PASS", runId: runId as string, record };
  }

  /** The record of a blocked snapshot, for sinks that ask for blocked ones. */
  blockedRecord(
    snapshot: ObservationSnapshot,
    verdict: Extract<Verdict, { action: "BLOCK" }>,
  ): PatternRecord {
    return buildBlockedRecord(snapshot, this.#stamp, verdict.generatedAt, {
      reason: verdict.reason,
      blockedBy: verdict.blockedBy,
    });
  }
}
