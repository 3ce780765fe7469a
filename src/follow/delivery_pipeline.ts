/**
 * A follower's batches on their way to the destination: handed over in log order, up to the
 * destination's `batchesInFlight` at once (a NATS writer publishes the next batch while the last
 * acks of this one come in), and counted as delivered strictly in order: a batch only once it
 * and every batch before it were acknowledged. When one fails, every batch in flight waits until
 * all have settled and is sent again, from the first unacknowledged one, with backoff, until
 * acknowledged or stopped: nothing after a failed batch is ever counted before it, and nothing is
 * skipped.
 *
 * @module
 */

import { type Backoff, backoffDelayMs, delay } from "../io/delay.ts";
import type { BatchDestination, Delivery, LoggedRecord } from "../sinks/sink.ts";
import type { SamplerState } from "../sinks/record_sampler.ts";
import type { LogPosition } from "./log_reader.ts";

/** The lines a batch spans: where they end, that file's identity, how many. */
export interface Span {
  /** Just past its last line. */
  end: LogPosition;
  /** The identity of that line's file. */
  identity?: string;
  /** Lines read (records or not). */
  lines: number;
}

/** A batch selected from the log, with what the checkpoint needs once it is delivered. */
export interface GatheredBatch {
  /** The records to deliver (maybe none: then only the checkpoint moves). */
  readonly batch: LoggedRecord[];
  /** The lines it spans. */
  readonly span: Span;
  /** Lines among them that were not records. */
  readonly skipped: number;
  /** The sampler's counters just after its last line, if it samples. */
  readonly sampler?: SamplerState;
}

/** What a {@linkcode DeliveryPipeline} tells its follower. */
export interface PipelineHooks {
  /** `gathered` and every batch before it were acknowledged: the checkpoint moves past it. */
  commit(gathered: GatheredBatch, delivery: Delivery): void;
  /** A delivery failed; it is sent again after a backoff. */
  fail(error: unknown): void;
  /** A delivery succeeded after `attempts` failed attempts (0 when none failed). */
  recover(attempts: number): void;
  /** Retry delays. */
  readonly backoff?: Backoff;
}

type Outcome = { readonly delivery: Delivery } | { readonly error: unknown };

interface InFlight {
  readonly gathered: GatheredBatch;
  outcome: Promise<Outcome>;
}

const NOTHING: Promise<Outcome> = Promise.resolve({ delivery: { refused: 0 } });

/**
 * The batches of one follower in flight to its destination.
 *
 * @example
 * ```ts
 * import { DeliveryPipeline, type GatheredBatch } from "./delivery_pipeline.ts";
 * import type { BatchDestination } from "../sinks/sink.ts";
 * declare const destination: BatchDestination;
 * declare const gathered: GatheredBatch;
 * const pipeline = new DeliveryPipeline(destination, {
 *   commit: (batch) => console.log(`delivered up to ${batch.span.end.offset}`),
 *   fail: console.error,
 *   recover: () => {},
 * });
 * const signal = new AbortController().signal;
 * await pipeline.push(gathered, signal);
 * await pipeline.drain(signal);
 * ```
 */
export class DeliveryPipeline {
  readonly #destination: BatchDestination;
  readonly #hooks: PipelineHooks;
  readonly #depth: number;
  #inFlight: InFlight[] = [];
  #attempt = 0;

  /** Batches go to `destination`; `hooks` hear of commits, failures and recoveries. */
  constructor(destination: BatchDestination, hooks: PipelineHooks) {
    this.#destination = destination;
    this.#hooks = hooks;
    this.#depth = Math.max(1, Math.floor(destination.batchesInFlight ?? 1));
  }

  /** Batches handed over and not yet counted as delivered. */
  get inFlight(): number {
    return this.#inFlight.length;
  }

  /**
   * Hands `gathered` over (after those in flight), then waits until fewer batches than the
   * destination takes at once are in flight, committing the acknowledged ones in order and
   * sending again after a failure (until acknowledged, or `signal` aborts: then what is in flight
   * is settled and committed up to the first failure, the rest left for the next run).
   */
  async push(gathered: GatheredBatch, signal: AbortSignal): Promise<void> {
    this.#inFlight.push({ gathered, outcome: this.#send(gathered.batch) });
    while (this.#inFlight.length >= this.#depth) await this.#settleFirst(signal);
  }

  /** Waits until every batch in flight is committed (or, once `signal` aborts, settled). */
  async drain(signal: AbortSignal): Promise<void> {
    while (this.#inFlight.length > 0) await this.#settleFirst(signal);
  }

  #send(batch: readonly LoggedRecord[]): Promise<Outcome> {
    if (batch.length === 0) return NOTHING;
    return this.#destination.deliver(batch).then(
      (delivery) => ({ delivery }),
      (error: unknown) => ({ error }),
    );
  }

  /** Settles the oldest batch in flight: commits it, or sends every batch in flight again. */
  async #settleFirst(signal: AbortSignal): Promise<void> {
    const first = this.#inFlight[0];
    const outcome = await first.outcome;
    if ("delivery" in outcome) {
      this.#inFlight.shift();
      this.#hooks.recover(this.#attempt);
      this.#attempt = 0;
      this.#hooks.commit(first.gathered, outcome.delivery);
      return;
    }
    this.#hooks.fail(outcome.error);
    // The batches after it may be partly delivered: all settle, then all go again, in order.
    await Promise.all(this.#inFlight.map((item) => item.outcome));
    if (!signal.aborted) await delay(backoffDelayMs(++this.#attempt, this.#hooks.backoff), signal);
    if (signal.aborted) {
      this.#inFlight = [];
      return;
    }
    for (const item of this.#inFlight) item.outcome = this.#send(item.gathered.batch);
  }
}
