/**
 * The shapes of the batching queue every sink shares: its policies and tuning, the batch a
 * writer is handed, its timers, options and counters, and the counters under a sink's names.
 *
 * @module
 */

import type { DurationSummary } from "./duration_histogram.ts";
import type { SinkStats } from "./sink.ts";

/** What a full queue does with the next item. */
export const WHEN_FULL_POLICIES = ["block", "drop_newest", "drop_oldest"] as const;

/** One of {@linkcode WHEN_FULL_POLICIES}. */
export type WhenFull = typeof WHEN_FULL_POLICIES[number];

/**
 * The queue settings every queued sink takes (each sink documents its own defaults): the names
 * the sinks' options and the configuration file share.
 */
export interface QueueTuning {
  /** Bound of queued plus in-flight records, in UTF-8 bytes of their JSON. */
  readonly maxQueueBytes?: number;
  /** Write as soon as this many bytes are queued. */
  readonly flushBytes?: number;
  /** Write queued records at most this many ms after they arrived. */
  readonly flushIntervalMs?: number;
  /** What a full queue does with the next record. */
  readonly whenFull?: WhenFull;
}

/**
 * Largest queue of all sinks together, in bytes: the tasks cap V8's old generation at 128 MB
 * (`--max-old-space-size=128` in deno.json), and queues beyond this would not fit beside the
 * rest of the heap.
 */
export const MAX_TOTAL_QUEUE_BYTES = 32 * 1024 * 1024;

/**
 * A batch being written: `done` counts the items (from the start) already handed over.
 *
 * A writer that streams (publishes with acks coming back while it sends more) may also hand
 * over what it has as it goes, with {@linkcode Batch.commit}, and take in what was queued since
 * it began, with {@linkcode Batch.extend}: the producer then gets room as acks come, and the
 * writer never has to let its pipeline run dry at the end of a batch while items wait.
 */
export interface Batch<T> {
  /**
   * The items, oldest first. {@linkcode Batch.extend} appends to it; an item counted as written
   * by {@linkcode Batch.commit} is no longer held here (its place reads `undefined`).
   */
  readonly items: readonly T[];
  /** `sizeOf` of each item. */
  readonly sizes: readonly number[];
  /**
   * Items at the start of `items` that reached the destination. The writer advances it as it
   * goes; when it throws, those stay written and the rest is retried.
   */
  done: number;
  /**
   * Counts the first `done` items as written now, rather than when the write returns: their
   * room is given back (a producer waiting under `block` goes on) and the queue lets go of them.
   */
  commit(): void;
  /**
   * Moves up to `flushBytes` of what was queued since into this batch (appended to `items` and
   * `sizes`) and returns how many items came; 0 when nothing is queued or the batch holds
   * {@linkcode MAX_STREAMED_BATCH_ITEMS} (then the writer finishes it and the next begins).
   */
  extend(): number;
}

/**
 * Items one batch holds at most through {@linkcode Batch.extend} (its `items` array keeps a slot
 * for each until the write returns).
 */
export const MAX_STREAMED_BATCH_ITEMS = 16384;

/**
 * Timers the queue uses; the defaults are the real ones, unref'd (they never keep a process up;
 * a producer waiting for room does).
 */
export interface QueueTimers {
  /** Calls `fn` after `ms` milliseconds; returns a handle for `clear`. */
  set(fn: () => void, ms: number): unknown;
  /** Cancels a timer from `set`. */
  clear(handle: unknown): void;
}

/** The real timers, unref'd. */
export const REAL_TIMERS: QueueTimers = {
  set(fn, ms) {
    const handle = setTimeout(fn, ms);
    Deno.unrefTimer(handle as unknown as number);
    return handle;
  },
  clear(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

/** Options of a {@linkcode BatchingQueue}. */
export interface BatchingQueueOptions<T> {
  /** Bound of queued plus in-flight items, in the units of `sizeOf` (bytes for the sinks here). */
  readonly maxBytes: number;
  /** A batch is cut as soon as this much is queued (and a batch is about this big). */
  readonly flushBytes: number;
  /** What is queued is written at most this long after it arrived. */
  readonly flushIntervalMs: number;
  /** Policy when full. */
  readonly whenFull: WhenFull;
  /** Size of one item. */
  readonly sizeOf: (item: T) => number;
  /**
   * Records in one item, for the counters (an item may hold many pre-encoded lines). Default:
   * every item is one record.
   */
  readonly countOf?: (item: T) => number;
  /** Writes a batch, advancing `batch.done`; throws when the destination fails. */
  readonly write: (batch: Batch<T>) => Promise<void>;
  /** A failure episode began (the first failure after a success), with its cause. */
  readonly onFailure?: (cause: string) => void;
  /** Writing succeeded again; `failedMeanwhile` items did not fit while it failed. */
  readonly onRecovery?: (cause: string, failedMeanwhile: number) => void;
  /**
   * Called once for each item the queue lets go of: written, dropped (on arrival or from the
   * queue) or given up on. An item refused because the queue is closed is not taken.
   */
  readonly onRelease?: (item: T) => void;
  /** Called after each batch written whole, with its record count (latency metrics). */
  readonly onBatchWritten?: (items: number) => void;
  /** Timers for the flush interval and retries. Default {@linkcode REAL_TIMERS}. */
  readonly timers?: QueueTimers;
  /**
   * Delay before retry number `attempt` (1, 2, ...) of a failure episode, in ms. Default: the
   * flush interval every time (a local disk); a network destination backs off (`backoffDelayMs`
   * of `io/delay.ts`).
   */
  readonly retryDelayMs?: (attempt: number) => number;
}

/**
 * Counters of a {@linkcode BatchingQueue}, in records (items, unless `countOf` says an item holds
 * several).
 */
export interface QueueStats {
  /** Items taken in (not dropped on arrival). */
  readonly accepted: number;
  /** Items that reached the destination. */
  readonly written: number;
  /** Items dropped by the full-queue policy. */
  readonly dropped: number;
  /** Items given up on because the destination failed. */
  readonly failed: number;
  /** Items accepted but not yet written (queued plus in flight). */
  readonly queued: number;
  /** Their size. */
  readonly queuedBytes: number;
  /** The bound of queued plus in-flight items. */
  readonly maxBytes: number;
  /** The cause of the current failure episode, or of the last one. */
  readonly failure?: string;
  /** True while the destination is failing. */
  readonly failing: boolean;
  /** Durations of the batch writes. */
  readonly writeSeconds: DurationSummary;
}

/**
 * What a sink built on a queue reports: the queue's counters under the names of
 * {@linkcode SinkStats}.
 *
 * @example
 * ```ts
 * import { type QueueStats, sinkStatsOf } from "./batching_queue_types.ts";
 * declare const stats: QueueStats;
 * sinkStatsOf(stats).written;
 * ```
 */
export function sinkStatsOf(q: QueueStats): SinkStats {
  return {
    written: q.written,
    dropped: q.dropped,
    failed: q.failed,
    failure: q.failure,
    failing: q.failing,
    queuedBytes: q.queuedBytes,
    maxQueueBytes: q.maxBytes,
    flushSeconds: q.writeSeconds,
  };
}
