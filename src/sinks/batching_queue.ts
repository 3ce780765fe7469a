/**
 * The bounded batching queue every sink shares: a size bound with a policy for when it is full
 * (`block`, `drop_newest`, `drop_oldest`), batches cut by size or after an interval, failure
 * episodes (the queue is kept and retried with backoff; under `block` a full queue makes the
 * producer wait until the destination takes records again, under the drop policies what does
 * not fit meanwhile is counted as failed), counters for everything (kept as it goes: reading
 * them walks nothing), promises for "room for this many bytes" and "drained", and a drain on
 * close. No I/O: the sink hands in the function that writes a batch, and time comes from an
 * injectable clock so the tests can drive it.
 *
 * @module
 */

import { DurationHistogram } from "./duration_histogram.ts";
import { FailureEpisode } from "./failure_episode.ts";
import { InFlight, QueuedItems } from "./queued_items.ts";
import {
  type Batch,
  type BatchingQueueOptions,
  MAX_STREAMED_BATCH_ITEMS,
  type QueueStats,
  type QueueTimers,
  REAL_TIMERS,
} from "./batching_queue_types.ts";
import { ProducerGate, type QueueLevel, QueueWaiters } from "./queue_waiters.ts";

export {
  type Batch,
  type BatchingQueueOptions,
  MAX_STREAMED_BATCH_ITEMS,
  MAX_TOTAL_QUEUE_BYTES,
  type QueueStats,
  type QueueTimers,
  type QueueTuning,
  REAL_TIMERS,
  sinkStatsOf,
  WHEN_FULL_POLICIES,
  type WhenFull,
} from "./batching_queue_types.ts";

function positive(value: number, what: string): void {
  if (Number.isFinite(value) && value > 0) return;
  throw new RangeError(`${what}: expected a positive number, got ${value}`);
}

/**
 * A bounded queue that writes its items in batches, in order.
 *
 * @example
 * ```ts
 * import { BatchingQueue } from "./batching_queue.ts";
 * const written: string[] = [];
 * const queue = new BatchingQueue<string>({
 *   maxBytes: 1024, flushBytes: 256, flushIntervalMs: 10, whenFull: "block",
 *   sizeOf: (line) => line.length + 1,
 *   write: async (batch) => {
 *     written.push(...batch.items);
 *     batch.done = batch.items.length;
 *   },
 * });
 * await queue.push("a");
 * await queue.close();
 * ```
 */
export class BatchingQueue<T> {
  readonly #options: BatchingQueueOptions<T>;
  readonly #timers: QueueTimers;
  // The hot path's settings, read once (faster than through #options on every push).
  readonly #maxBytes: number;
  readonly #flushBytes: number;
  readonly #sizeOf: (item: T) => number;
  readonly #countOf: ((item: T) => number) | undefined;
  readonly #onRelease: ((item: T) => void) | undefined;
  readonly #queue: QueuedItems<T>;
  #inflight: InFlight<T> | undefined;
  readonly #writeSeconds = new DurationHistogram();
  /** True while a drain loop runs. */
  #draining = false;
  #timer: unknown;
  /** Producers held by a full queue under `block`. */
  readonly #gate = new ProducerGate();
  /** Waiters for room and for the queue drained. */
  readonly #waiters = new QueueWaiters();
  /** Set by {@linkcode unblock}: nobody waits for room any more. */
  #unblocked = false;
  #accepted = 0;
  /**
   * Items queued so far. Items leave the queue in order (the in-flight batch holds older ones
   * than the queue), so with it each item has a place, and a flush waits for places, not counts:
   * a count of settled items also rises by newer ones dropped while older ones are in flight.
   */
  #pushed = 0;
  #written = 0;
  #dropped = 0;
  #failed = 0;
  readonly #episode = new FailureEpisode();
  #closed = false;

  /** Checks the sizes (positive) and starts empty. */
  constructor(options: BatchingQueueOptions<T>) {
    positive(options.maxBytes, "maxQueueBytes");
    positive(options.flushBytes, "flushBytes");
    positive(options.flushIntervalMs, "flushIntervalMs");
    this.#options = options;
    this.#timers = options.timers ?? REAL_TIMERS;
    this.#maxBytes = options.maxBytes;
    this.#flushBytes = options.flushBytes;
    this.#sizeOf = options.sizeOf;
    this.#countOf = options.countOf;
    this.#onRelease = options.onRelease;
    this.#queue = new QueuedItems(options.countOf);
  }

  /** Counters, kept as items come and go: reading them walks nothing. */
  stats(): QueueStats {
    return {
      accepted: this.#accepted,
      written: this.#written,
      dropped: this.#dropped,
      failed: this.#failed,
      queued: this.#queue.records + (this.#inflight?.records ?? 0),
      queuedBytes: this.#pendingBytes(),
      maxBytes: this.#maxBytes,
      failure: this.#episode.cause ?? this.#episode.last,
      failing: this.#episode.cause !== undefined,
      writeSeconds: this.#writeSeconds.summary(),
    };
  }

  /**
   * True while failing with at least half of `maxBytes` queued: what {@linkcode stats} tells, in
   * constant time (for a producer that checks before every push).
   */
  get failingHalfFull(): boolean {
    return this.#episode.cause !== undefined && this.#pendingBytes() * 2 >= this.#maxBytes;
  }

  /**
   * Queues one item. Returns a promise only when the queue is full under `block`; it resolves
   * once there is room. Throws after {@linkcode BatchingQueue.close}.
   */
  push(item: T): void | Promise<void> {
    if (this.#closed) throw new Error("the queue is closed: expected push() before close()");
    const size = this.#sizeOf(item);
    const n = this.#countOf === undefined ? 1 : this.#countOf(item);
    let wait: Promise<void> | undefined;
    let dropped = false;
    if (
      this.#pendingBytes() + size > this.#maxBytes && this.#queue.length > 0 && !this.#unblocked
    ) {
      const policy = this.#options.whenFull;
      if (this.#episode.cause !== undefined && policy !== "block") {
        this.#failed += n;
        this.#episode.failedMeanwhile += n;
        this.#onRelease?.(item);
        return;
      }
      if (policy === "drop_newest") {
        this.#dropped += n;
        this.#onRelease?.(item);
        return;
      }
      if (policy === "drop_oldest") dropped = this.#dropOldest(size);
      else wait = this.#holdProducer();
    }
    this.#queue.push(item, size, n);
    this.#pushed++;
    this.#accepted += n;
    if (dropped) {
      this.#changed(); // only now: the room the drops made is this item's, not a waiter's
      this.#waiters.progressed();
    }
    if (this.#queue.bytes >= this.#flushBytes) this.#startDrain(false);
    else if (this.#timer === undefined) this.#armTimer();
    return wait;
  }

  /**
   * Writes everything accepted so far; resolves once it reached the destination. Rejects when
   * the destination is failing.
   */
  async flush(): Promise<void> {
    const target = this.#pushed;
    // While failing, one attempt is made: it ends with its drain, failed or recovered.
    let attempted = false;
    while (this.#holdsUpTo(target)) {
      if (!this.#draining) {
        if (this.#episode.cause !== undefined) {
          if (attempted) break;
          attempted = true;
        }
        this.#startDrain(true);
      }
      // Woken by each batch settled (and the end of a drain), not only by the drain's end: a
      // producer that keeps the queue busy keeps a drain running, and what came before this
      // flush is written long before that.
      if (this.#draining) await this.#waiters.progress();
      if (attempted && this.#episode.cause !== undefined && !this.#draining) break;
    }
    if (this.#episode.cause !== undefined) throw new Error(this.#episode.cause);
  }

  /**
   * Resolves `true` once `bytes` (at most the bound) fit beside what is queued and in flight,
   * at once when they do; `false` when the destination is failing while they do not fit (it
   * takes nothing until it recovers). Resolves `true` once the queue is closed or unblocked.
   * Rejects with the reason of `signal` when it aborts first. Pushes nothing: a producer that
   * wants the room pushes afterwards (others may have taken it meanwhile).
   */
  waitForRoom(bytes: number, signal?: AbortSignal): Promise<boolean> {
    const room = this.#waiters.room(bytes, this.#level(), signal);
    // Room is made by writing: a drain writes on while someone waits (when failing, the retry
    // timer with its backoff drains).
    if (this.#waiters.waitingForRoom && this.#episode.cause === undefined) this.#startDrain(true);
    return room;
  }

  /**
   * Resolves once nothing is queued or in flight (written, dropped or given up on), or the
   * queue is closed or unblocked; rejects with the reason of `signal` when it aborts first.
   * Unlike {@linkcode flush} it forces no write and waits also for items pushed later.
   */
  drained(signal?: AbortSignal): Promise<void> {
    return this.#waiters.drained(this.#level(), signal);
  }

  #level(): QueueLevel {
    return {
      pending: this.#pendingBytes(),
      maxBytes: this.#maxBytes,
      failing: this.#episode.cause !== undefined,
      released: this.#closed || this.#unblocked,
    };
  }

  /** What the queue holds changed: producers and waiters whose wait is over go on. */
  #changed(): void {
    this.#releaseProducers();
    if (this.#waiters.waiting) this.#waiters.changed(this.#level());
  }

  /** True while an item among the first `place` queued is not settled (in flight or queued). */
  #holdsUpTo(place: number): boolean {
    const inflight = this.#inflight;
    if (inflight !== undefined && inflight.open) {
      return inflight.first + inflight.committed <= place;
    }
    const queued = this.#queue.length;
    return queued > 0 && this.#pushed - queued + 1 <= place;
  }

  /**
   * Stops taking items, writes what is queued (one more attempt when failing), and gives up on
   * what still cannot be written (counted as failed). Returns how many were given up on. Never
   * rejects.
   */
  async close(): Promise<number> {
    if (this.#closed) return 0;
    this.#closed = true;
    this.#changed();
    this.#clearTimer();
    try {
      await this.flush();
    } catch {
      // The last attempt failed; give up below.
    }
    if (this.#episode.cause === undefined) return 0;
    let lost = this.#queue.records;
    if (this.#onRelease !== undefined) this.#queue.forEach(this.#onRelease);
    lost += this.#inflight?.release() ?? 0;
    this.#failed += lost;
    this.#queue.clear();
    this.#inflight = undefined;
    this.#changed();
    return lost;
  }

  /**
   * Starts a failure episode from outside a write (a background `fsync` failed, say): the next
   * flush retries and a successful write ends it.
   */
  reportFailure(error: unknown): void {
    this.#enterFailure(error);
    if (!this.#closed) this.#armTimer();
  }

  #pendingBytes(): number {
    return this.#queue.bytes + (this.#inflight?.bytes ?? 0);
  }

  /** Drops the oldest queued items until `room` bytes fit; whether any was dropped. */
  #dropOldest(room: number): boolean {
    const before = this.#queue.length;
    while (this.#queue.length > 0 && this.#pendingBytes() + room > this.#maxBytes) {
      const { item, records } = this.#queue.shift();
      this.#onRelease?.(item);
      this.#dropped += records;
    }
    return this.#queue.length < before;
  }

  #holdProducer(): Promise<void> {
    const held = this.#gate.hold();
    // Failing: the retry timer (with its backoff) drains; a waiting producer does not force it.
    if (this.#episode.cause === undefined) this.#startDrain(true);
    return held;
  }

  /** Lets held producers go on once there is room (or the queue closes or is unblocked). */
  #releaseProducers(): void {
    if (!this.#gate.holding) return;
    const stopping = this.#closed || this.#unblocked;
    if (!stopping && this.#pendingBytes() >= this.#maxBytes) return;
    this.#gate.open();
  }

  /**
   * Lets every producer waiting for room go on at once, and no later one wait: the run is
   * stopping (a signal), so a producer blocked by a failing destination must not hold it. Items
   * pushed from now on are queued beyond the bound; what cannot be written at close is counted.
   */
  unblock(): void {
    this.#unblocked = true;
    this.#changed();
  }

  #armTimer(): void {
    if (this.#timer !== undefined) return;
    const retry = this.#options.retryDelayMs;
    const delay = this.#episode.cause !== undefined && retry !== undefined
      ? retry(Math.max(1, this.#episode.attempts))
      : this.#options.flushIntervalMs;
    this.#timer = this.#timers.set(() => {
      this.#timer = undefined;
      if (!this.#draining) this.#startDrain(true);
    }, delay);
  }

  #clearTimer(): void {
    if (this.#timer === undefined) return;
    this.#timers.clear(this.#timer);
    this.#timer = undefined;
  }

  /** Starts a drain loop unless one runs (when failing, only a forced one: a retry). */
  #startDrain(force: boolean): void {
    if (this.#draining) return;
    if (this.#episode.cause !== undefined && !force) return;
    this.#draining = true;
    void this.#runDrain(force);
  }

  async #runDrain(force: boolean): Promise<void> {
    try {
      while (true) {
        if (this.#inflight === undefined) {
          if (this.#queue.length === 0) return;
          // A producer waiting for room makes a drain write on, however little is queued.
          const waiting = this.#gate.holding || this.#waiters.waitingForRoom;
          if (!force && !waiting && this.#queue.bytes < this.#flushBytes) return;
          const first = this.#pushed - this.#queue.length + 1;
          const taken = this.#queue.take(this.#flushBytes, Infinity);
          this.#inflight = new InFlight(taken, first, this.#countOf, this.#onRelease);
        }
        if (!await this.#writeInflight(this.#inflight)) return;
      }
    } finally {
      // Cleared here, synchronously as the loop ends (not in a later callback), so a producer
      // woken by the last batch that finds the queue full again starts a new drain.
      this.#draining = false;
      this.#waiters.progressed();
      // Failing: retry later. Items left below flushBytes: the interval writes them (it may have
      // come due during this drain, which it then could not start).
      if (!this.#closed && (this.#episode.cause !== undefined || this.#queue.length > 0)) {
        this.#armTimer();
      }
    }
  }

  /** Writes the batch in flight; false when the destination failed. */
  async #writeInflight(inflight: InFlight<T>): Promise<boolean> {
    const batch: Batch<T> = {
      items: inflight.items,
      sizes: inflight.sizes,
      done: 0,
      commit: () => this.#commit(inflight, batch.done),
      extend: () =>
        this.#inflight !== inflight
          ? 0
          : inflight.extend(this.#queue, this.#flushBytes, MAX_STREAMED_BATCH_ITEMS),
    };
    try {
      await this.#writeSeconds.time(() => this.#options.write(batch));
      batch.done = inflight.items.length;
    } catch (error) {
      const records = this.#settle(inflight, batch.done);
      this.#enterFailure(error);
      // What the failed write did get out makes room (and may empty the queue) even within an
      // episode that began earlier, when entering it wakes no one.
      if (records > 0) this.#changed();
      return false;
    }
    const records = this.#settle(inflight, batch.done);
    this.#options.onBatchWritten?.(records);
    if (this.#episode.cause !== undefined) this.#recovered();
    this.#changed();
    this.#waiters.progressed();
    return true;
  }

  /**
   * Counts the first `done` items of the in-flight batch as written (those not committed yet);
   * keeps the rest in flight. Returns the records written.
   */
  #settle(inflight: InFlight<T>, done: number): number {
    const [records, rest] = inflight.settle(done);
    this.#written += records;
    this.#inflight = rest;
    return records;
  }

  /** {@linkcode Batch.commit} of the write of `inflight`: a no-op once that write is over. */
  #commit(inflight: InFlight<T>, done: number): void {
    if (this.#inflight !== inflight) return;
    const before = inflight.committed;
    const records = inflight.commit(done);
    if (inflight.committed === before) return;
    this.#written += records;
    this.#options.onBatchWritten?.(records);
    if (this.#episode.cause !== undefined) this.#recovered();
    this.#changed();
    this.#waiters.progressed();
  }

  #enterFailure(error: unknown): void {
    const began = this.#episode.fail(error);
    if (began === undefined) return;
    this.#options.onFailure?.(began);
    // Full and failing: waiting for room is in vain.
    if (this.#waiters.waiting) this.#waiters.changed(this.#level());
  }

  #recovered(): void {
    const { cause, failedMeanwhile } = this.#episode.recover();
    // A retry timer armed with the failure's backoff (seconds, say) would hold back the next
    // interval write: the drain arms the interval again when items are left.
    this.#clearTimer();
    this.#options.onRecovery?.(cause, failedMeanwhile);
  }
}
