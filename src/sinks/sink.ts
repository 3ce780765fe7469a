/**
 * The Sink interface: a destination for records, small enough for a function-sized sink and
 * disposable with `await using`. Filters and samplers wrap sinks; the EventBus fans out to them.
 *
 * @module
 */

import type { DurationSummary } from "./duration_histogram.ts";
import type { PatternRecord } from "../contract/pattern_record.ts";

/** What a sink reports about itself for the run summary. */
export interface SinkStats {
  /** Records whose bytes reached their destination. */
  readonly written: number;
  /** Records dropped by the sink's queue policy when full. */
  readonly dropped: number;
  /** Records given up on because the destination failed. */
  readonly failed: number;
  /** The cause of the current or last failure episode, if any. */
  readonly failure?: string;
  /** True while the destination is failing (a failure episode is going on). */
  readonly failing?: boolean;
  /** Bytes accepted and not yet written (queued plus in flight), for queued sinks. */
  readonly queuedBytes?: number;
  /** The queue's bound, in bytes, for queued sinks. */
  readonly maxQueueBytes?: number;
  /** Durations of the batch writes to the destination, for queued sinks. */
  readonly flushSeconds?: DurationSummary;
  /** Durations of the syncs to disk (`fdatasync`), for file sinks. */
  readonly syncSeconds?: DurationSummary;
}

/**
 * A destination for records (`T`: PatternRecords on the bus; dead-letter entries elsewhere).
 * `write()` may return a promise to apply backpressure; the bus awaits it. `flush()` and
 * `close()` reach whatever the sink buffers.
 */
export interface Sink<T = PatternRecord> extends AsyncDisposable {
  /** A short name for logs and summaries. */
  readonly name: string;
  /** Accepts one record; a returned promise means "wait before sending more". */
  write(record: T): void | Promise<void>;
  /** Hands everything accepted so far to the destination. */
  flush(): Promise<void>;
  /** Flushes and releases the destination; later writes are refused. */
  close(): Promise<void>;
  /** Counters for the run summary. */
  stats?(): SinkStats;
  /**
   * Lets producers waiting for room go on at once, and no later one wait (the run is stopping:
   * a destination that fails must not hold it). Queued sinks have it.
   */
  unblock?(): void;
  /**
   * Resolves `true` once about `bytes` more fit in the sink's queue, `false` when its
   * destination is failing while they do not (it takes nothing until it recovers); rejects with
   * the reason of `signal` when it aborts first. Queued sinks have it (a producer that refuses
   * work rather than wait for ever awaits it instead of polling `stats()`).
   */
  waitForRoom?(bytes: number, signal?: AbortSignal): Promise<boolean>;
}

/** A record read back from the log: the parsed record and its exact line (without `\n`). */
export interface LoggedRecord {
  /** The parsed record (filters, samplers and destination columns read it). */
  readonly record: PatternRecord;
  /** The line exactly as the log holds it: the record's JSON text. */
  readonly line: string;
  /** The snapshot's text within the line, when the reader already found it (no search again). */
  readonly snapshotText?: string;
}

/** What a destination did with a batch it acknowledged. */
export interface Delivery {
  /**
   * Records the destination refused for their content (a text PostgreSQL cannot store, say):
   * never sent again; the destination logs them.
   */
  readonly refused: number;
}

/**
 * A network destination that a follower delivers batches of logged records to. `deliver`
 * resolves once the destination holds every record of the batch (or refused it for its content);
 * it throws when the destination failed, and the follower sends the same batch again later, so
 * a destination must drop a record it already holds (by `run_id`).
 */
export interface BatchDestination extends AsyncDisposable {
  /** A short name for logs and summaries. */
  readonly name: string;
  /** What it writes to, for messages, e.g. `PostgreSQL table observer_records`. */
  readonly description: string;
  /**
   * How many batches may be in `deliver` at once (default 1: the next call comes after this one
   * settled). A destination that takes more sends the batches in the order of the calls and may
   * fail a batch because one before it failed; the follower counts a batch as delivered only
   * once it and every batch before it were acknowledged, and after a failure sends every batch
   * from the first unacknowledged one again, in order.
   */
  readonly batchesInFlight?: number;
  /** Delivers one batch, in log order; throws when the destination failed. */
  deliver(batch: readonly LoggedRecord[]): Promise<Delivery>;
  /** Releases the connection. Never rejects. */
  close(): Promise<void>;
}
