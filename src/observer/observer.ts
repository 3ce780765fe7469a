/**
 * Observer-Core: validate → guard → PatternRecord → enrich → EventBus.
 *
 * @module
 */

import type { EventBus } from "../bus/event_bus.ts";
import {
  buildBlockedRecord,
  buildPatternRecord,
  DEFAULT_RECORD_STAMP,
} from "../contract/pattern_record.ts";
import type { RecordStamp } from "../contract/pattern_record.ts";
import type { ObservationSnapshot } from "../contract/snapshot.ts";
import type { Logger } from "../log/logging.ts";
import { enrichRecord } from "./enrich.ts";
import { type GuardPolicy, guardSnapshot } from "./guard.ts";
import { validateSnapshot } from "./validation.ts";

/** What became of one snapshot. */
export type SnapshotOutcome =
  | { readonly status: "dispatched"; readonly runId: string }
  | {
    readonly status: "blocked";
    readonly runId: string | undefined;
    readonly blockedBy: "validation" | "guard";
    readonly reasons: readonly string[];
  }
  | { readonly status: "ignored" };

/** Observer counters. */
export interface ObserverCounters {
  /** Snapshots taken in while running. */
  received: number;
  /** Snapshots that became records and were handed to the bus. */
  dispatched: number;
  /** Snapshots blocked because validation found a problem. */
  blockedByValidation: number;
  /** Snapshots that passed validation but were blocked by the guard policy. */
  blockedByGuard: number;
  /** Snapshots that arrived while the Observer was stopped. */
  ignored: number;
}

/**
 * Where `generated_at` comes from: `wall` uses the clock, `snapshot` copies the snapshot's own
 * `meta.timestamp` (deterministic, for replay).
 */
export const GENERATED_AT_CLOCKS = ["wall", "snapshot"] as const;

/** One of {@linkcode GENERATED_AT_CLOCKS}. */
export type GeneratedAtClock = typeof GENERATED_AT_CLOCKS[number];

/** Observer options. */
export interface ObserverOptions {
  /** Where records are dispatched. */
  readonly bus: EventBus;
  /** Receives start/stop messages, blocks (warning) and dispatches (debug). */
  readonly logger: Logger;
  /** Extra guard rules. Default none. */
  readonly guardPolicy?: GuardPolicy;
  /** Names stamped into each record. Default {@linkcode DEFAULT_RECORD_STAMP}. */
  readonly stamp?: RecordStamp;
  /** Epoch ms; defaults to `Date.now`. */
  readonly now?: () => number;
  /** Where `generated_at` comes from. Default `wall`. */
  readonly generatedAt?: GeneratedAtClock;
  /**
   * Also dispatch blocked snapshots, as records with guard `BLOCK` and their reasons (for a
   * review sink; the other sinks pass them over). Default false.
   */
  readonly dispatchBlocked?: boolean;
}

/**
 * The Observer: checks each snapshot and dispatches a PatternRecord, or counts and logs the block.
 *
 * @example
 * ```ts
 * import { Observer } from "./observer.ts";
 * import type { EventBus } from "../bus/event_bus.ts";
 * import type { ObservationSnapshot } from "../contract/snapshot.ts";
 * import type { Logger } from "../log/logging.ts";
 * declare const bus: EventBus;
 * declare const logger: Logger;
 * declare const snapshot: ObservationSnapshot;
 * const observer = new Observer({ bus, logger });
 * observer.start();
 * const outcome = await observer.onSnapshot(snapshot); // { status: "dispatched", runId }
 * observer.stop();
 * ```
 */
export class Observer {
  readonly #bus: EventBus;
  readonly #logger: Logger;
  readonly #policy: GuardPolicy;
  readonly #stamp: RecordStamp;
  readonly #now: () => number;
  readonly #generatedAt: GeneratedAtClock;
  readonly #dispatchBlocked: boolean;
  #running = false;
  #isoMs = NaN;
  #isoText = "";
  readonly #counters: ObserverCounters = {
    received: 0,
    dispatched: 0,
    blockedByValidation: 0,
    blockedByGuard: 0,
    ignored: 0,
  };

  /** Creates a stopped Observer; call {@linkcode Observer.start}. */
  constructor(options: ObserverOptions) {
    this.#bus = options.bus;
    this.#logger = options.logger;
    this.#policy = options.guardPolicy ?? {};
    this.#stamp = options.stamp ?? DEFAULT_RECORD_STAMP;
    this.#now = options.now ?? Date.now;
    this.#generatedAt = options.generatedAt ?? "wall";
    this.#dispatchBlocked = options.dispatchBlocked ?? false;
  }

  /** True between start() and stop(). */
  get running(): boolean {
    return this.#running;
  }

  /** A copy of the counters. */
  get counters(): Readonly<ObserverCounters> {
    return { ...this.#counters };
  }

  /** Starts accepting snapshots. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#logger.info("Observer-Core started");
  }

  /** Stops accepting snapshots; later ones are ignored and counted. Does not close the bus. */
  stop(): void {
    if (!this.#running) return;
    this.#running = false;
    this.#logger.info("Observer-Core stopped", { ...this.#counters });
  }

  /** ISO text of `ms`, reusing the last one within the same millisecond. */
  #iso(ms: number): string {
    if (ms !== this.#isoMs) {
      this.#isoMs = ms;
      this.#isoText = new Date(ms).toISOString();
    }
    return this.#isoText;
  }

  /**
   * Runs one snapshot through validate → guard → record → enrich → bus. Resolves when every
   * sink has accepted the record (a full sink with the `block` policy makes this wait).
   */
  async onSnapshot(snapshot: ObservationSnapshot): Promise<SnapshotOutcome> {
    if (!this.#running) {
      this.#counters.ignored++;
      return { status: "ignored" };
    }
    this.#counters.received++;
    const validation = validateSnapshot(snapshot);
    const now = this.#now();
    const decision = guardSnapshot(snapshot, validation, this.#policy, now);
    const runId = typeof snapshot?.meta?.run_id === "string" ? snapshot.meta.run_id : undefined;
    if (decision.action === "BLOCK") {
      const blockedBy = decision.blockedBy ?? "guard";
      if (blockedBy === "validation") this.#counters.blockedByValidation++;
      else this.#counters.blockedByGuard++;
      this.#logger.warn("Snapshot {runId} blocked by {blockedBy}: {reason}", {
        runId: runId ?? "(no run_id)",
        blockedBy,
        reason: decision.reason,
      });
      if (this.#dispatchBlocked) {
        const stamped = snapshot?.meta?.timestamp;
        const generatedAt = this.#generatedAt === "snapshot" && typeof stamped === "string"
          ? stamped
          : this.#iso(now);
        const record = buildBlockedRecord(snapshot, this.#stamp, generatedAt, {
          reason: decision.reason,
          blockedBy,
        });
        const pending = this.#bus.dispatch(record);
        if (pending !== undefined) await pending;
      }
      return { status: "blocked", runId, blockedBy, reasons: [decision.reason] };
    }
    const generatedAt = this.#generatedAt === "snapshot" ? snapshot.meta.timestamp : this.#iso(now);
    const record = enrichRecord(
      buildPatternRecord(snapshot, this.#stamp, generatedAt),
      this.#stamp,
    );
    const pending = this.#bus.dispatch(record);
    if (pending !== undefined) await pending;
    this.#counters.dispatched++;
    this.#logger.debug("PatternRecord dispatched {runId}", () => ({ runId }));
    return { status: "dispatched", runId: runId as string };
  }
}
