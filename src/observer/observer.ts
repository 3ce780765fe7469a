/**
 * Observer-Core: validate → guard → PatternRecord → enrich → EventBus.
 *
 * @module
 */

import type { EventBus } from "../bus/event_bus.ts";
import type { RecordStamp } from "../contract/pattern_record.ts";
import type { ObservationSnapshot } from "../contract/snapshot.ts";
import type { Logger } from "../log/logging.ts";
import { NON_NUMERIC_INPUT_FLAG } from "./enrich.ts";
import type { GuardPolicy } from "./guard.ts";
import { type GeneratedAtClock, SnapshotJudge } from "./snapshot_judge.ts";

export { GENERATED_AT_CLOCKS, type GeneratedAtClock } from "./snapshot_judge.ts";

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
  /**
   * Records written with the `NON_NUMERIC_INPUT` quality flag (a price, volume, OHLC, bid or ask
   * that is not a number); absent while there is none.
   */
  nonNumeric?: number;
}

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
  readonly #judge: SnapshotJudge;
  readonly #dispatchBlocked: boolean;
  #running = false;
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
    this.#judge = new SnapshotJudge(
      { guardPolicy: options.guardPolicy, stamp: options.stamp, generatedAt: options.generatedAt },
      options.now,
    );
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
    const verdict = this.#judge.judge(snapshot);
    if (verdict.action === "BLOCK") {
      this.#countBlocked(verdict.runId, verdict.blockedBy, verdict.reason);
      if (this.#dispatchBlocked) {
        const pending = this.#bus.dispatch(this.#judge.blockedRecord(snapshot, verdict));
        if (pending !== undefined) await pending;
      }
      return {
        status: "blocked",
        runId: verdict.runId,
        blockedBy: verdict.blockedBy,
        reasons: [verdict.reason],
      };
    }
    const pending = this.#bus.dispatch(verdict.record);
    if (pending !== undefined) await pending;
    this.#counters.dispatched++;
    if (verdict.record.metadata._quality?.flags.includes(NON_NUMERIC_INPUT_FLAG)) {
      this.#countNonNumeric(1);
    }
    const runId = verdict.runId;
    this.#logger.debug("PatternRecord dispatched {runId}", () => ({ runId }));
    return { status: "dispatched", runId };
  }

  /**
   * Takes in what was judged outside this Observer (by parallel recording's workers, with the
   * same code as {@linkcode Observer.onSnapshot}) and written by its caller: counts it as
   * received and dispatched, or as blocked, and logs a block exactly as onSnapshot does.
   */
  tally(judged: JudgedElsewhere): void {
    if (judged.status === "dispatched") {
      this.#counters.received += judged.count;
      this.#counters.dispatched += judged.count;
      if ((judged.nonNumeric ?? 0) > 0) this.#countNonNumeric(judged.nonNumeric!);
      return;
    }
    this.#counters.received++;
    this.#countBlocked(judged.runId, judged.blockedBy, judged.reasons.join("; "));
  }

  #countNonNumeric(n: number) {
    this.#counters.nonNumeric = (this.#counters.nonNumeric ?? 0) + n;
  }

  #countBlocked(runId: string | undefined, blockedBy: "validation" | "guard", reason: string) {
    if (blockedBy === "validation") this.#counters.blockedByValidation++;
    else this.#counters.blockedByGuard++;
    this.#logger.warn("Snapshot {runId} blocked by {blockedBy}: {reason}", {
      runId: runId ?? "(no run_id)",
      blockedBy,
      reason,
    });
  }
}

/**
 * Snapshots judged outside an Observer, for {@linkcode Observer.tally}: a number of records
 * written, or one blocked snapshot.
 */
export type JudgedElsewhere =
  | {
    readonly status: "dispatched";
    readonly count: number;
    /** How many of them carry the `NON_NUMERIC_INPUT` quality flag. */
    readonly nonNumeric?: number;
  }
  | Extract<SnapshotOutcome, { status: "blocked" }>;
