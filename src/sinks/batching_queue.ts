/**
 * The bounded batching queue every sink shares: a size bound with a policy for when it is full
 * (`block`, `drop_newest`, `drop_oldest`), batches cut by size or after an interval, failure
 * episodes (the queue is kept and retried with backoff; under `block` a full queue makes the
 * producer wait until the destination takes records again, under the drop policies what does
 * not fit meanwhile is counted as failed), counters for everything, and a drain on close. No
 * I/O: the sink hands in the function that writes a batch, and time comes from an injectable
 * clock so the tests can drive it.
 *
 * @module
 */

import { DurationHistogram, type DurationSummary } from "./duration_histogram.ts";
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

interface InFlight<T> {
  readonly items: T[];
  readonly sizes: number[];
  /** Size of the items not counted as written yet. */
  bytes: number;
  /** Items at the start already counted as written ({@linkcode Batch.commit}). */
  committed: number;
  /** Place of `items[0]` among all items ever queued (1 for the first; see `#pushed`). */
  readonly first: number;
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: string }).code;
    return code !== undefined && !error.message.includes(code)
      ? `${code}: ${error.message}`
      : `${error.name}: ${error.message}`;
  }
  return String(error);
}

function positive(value: number, what: string): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${what}: expected a positive number, got ${value}`);
  }
  return value;
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
  #items: T[] = [];
  /** `sizeOf` of each queued item, computed once. */
  #sizes: number[] = [];
  #head = 0;
  #queuedBytes = 0;
  #inflight: InFlight<T> | undefined;
  /** Flushes waiting for the next batch settled (or drain ended). */
  #progressWaiters: (() => void)[] | undefined;
  readonly #writeSeconds = new DurationHistogram();
  /** True while a drain loop runs. */
  #draining = false;
  #timer: unknown;
  #room: { promise: Promise<void>; resolve: () => void } | undefined;
  /** Set by {@linkcode unblock}: nobody waits for room any more. */
  #unblocked = false;
  #accepted = 0;
  /**
   * Items queued so far. Items leave the queue in order (the in-flight batch holds older ones
   * than the queue), so with it each item has a place, and a flush waits for places, not counts:
   * a count of settled items also rises by newer ones dropped while older ones are in flight.
   */
  #pushed = 0;
  /** Accepted items since written, dropped from the queue or given up on. */
  #settled = 0;
  #written = 0;
  #dropped = 0;
  #failed = 0;
  #failure: string | undefined;
  #lastFailure: string | undefined;
  #failedInEpisode = 0;
  /** Failed attempts in the current failure episode. */
  #attempts = 0;
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
  }

  /** Records in `item`. */
  #count(item: T): number {
    return this.#countOf === undefined ? 1 : this.#countOf(item);
  }

  /** Records in `items` from `start` to `end`. */
  #countRange(items: readonly T[], start: number, end: number): number {
    if (this.#countOf === undefined) return Math.max(0, end - start);
    let n = 0;
    for (let i = start; i < end; i++) n += this.#countOf(items[i]);
    return n;
  }

  /** Counters. */
  stats(): QueueStats {
    return {
      accepted: this.#accepted,
      written: this.#written,
      dropped: this.#dropped,
      failed: this.#failed,
      queued: this.#countRange(this.#items, this.#head, this.#items.length) +
        (this.#inflight === undefined ? 0 : this.#countRange(
          this.#inflight.items,
          this.#inflight.committed,
          this.#inflight.items.length,
        )),
      queuedBytes: this.#pendingBytes(),
      maxBytes: this.#maxBytes,
      failure: this.#failure ?? this.#lastFailure,
      failing: this.#failure !== undefined,
      writeSeconds: this.#writeSeconds.summary(),
    };
  }

  /**
   * True while failing with at least half of `maxBytes` queued: what {@linkcode stats} tells, in
   * constant time (for a producer that checks before every push).
   */
  get failingHalfFull(): boolean {
    return this.#failure !== undefined && this.#pendingBytes() * 2 >= this.#maxBytes;
  }

  /**
   * Queues one item. Returns a promise only when the queue is full under `block`; it resolves
   * once there is room. Throws after {@linkcode BatchingQueue.close}.
   */
  push(item: T): void | Promise<void> {
    if (this.#closed) throw new Error("the queue is closed: expected push() before close()");
    const size = this.#sizeOf(item);
    let wait: Promise<void> | undefined;
    const pending = this.#queuedBytes + (this.#inflight === undefined ? 0 : this.#inflight.bytes);
    if (pending + size > this.#maxBytes && this.#items.length > this.#head && !this.#unblocked) {
      if (this.#failure !== undefined && this.#options.whenFull !== "block") {
        const n = this.#count(item);
        this.#failed += n;
        this.#failedInEpisode += n;
        this.#onRelease?.(item);
        return;
      }
      const policy = this.#options.whenFull;
      if (policy === "drop_newest") {
        this.#dropped += this.#count(item);
        this.#onRelease?.(item);
        return;
      }
      if (policy === "drop_oldest") this.#dropOldest(size);
      else wait = this.#waitForRoom();
    }
    this.#items.push(item);
    this.#sizes.push(size);
    this.#pushed++;
    this.#queuedBytes += size;
    this.#accepted += this.#countOf === undefined ? 1 : this.#countOf(item);
    if (this.#queuedBytes >= this.#flushBytes) this.#startDrain(false);
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
        if (this.#failure !== undefined) {
          if (attempted) break;
          attempted = true;
        }
        this.#startDrain(true);
      }
      // Woken by each batch settled (and the end of a drain), not only by the drain's end: a
      // producer that keeps the queue busy keeps a drain running, and what came before this
      // flush is written long before that.
      if (this.#draining) await this.#nextProgress();
      if (attempted && this.#failure !== undefined && !this.#draining) break;
    }
    if (this.#failure !== undefined) throw new Error(this.#failure);
  }

  /** True while an item among the first `place` queued is not settled (in flight or queued). */
  #holdsUpTo(place: number): boolean {
    const inflight = this.#inflight;
    if (inflight !== undefined && inflight.committed < inflight.items.length) {
      return inflight.first + inflight.committed <= place;
    }
    const queued = this.#items.length - this.#head;
    return queued > 0 && this.#pushed - queued + 1 <= place;
  }

  /** Resolves at the next change of `#settled` or end of a drain. */
  #nextProgress(): Promise<void> {
    return new Promise((resolve) => (this.#progressWaiters ??= []).push(resolve));
  }

  #progressed(): void {
    const waiters = this.#progressWaiters;
    if (waiters === undefined) return;
    this.#progressWaiters = undefined;
    for (const resolve of waiters) resolve();
  }

  /**
   * Stops taking items, writes what is queued (one more attempt when failing), and gives up on
   * what still cannot be written (counted as failed). Returns how many were given up on. Never
   * rejects.
   */
  async close(): Promise<number> {
    if (this.#closed) return 0;
    this.#closed = true;
    this.#releaseRoom();
    this.#clearTimer();
    try {
      await this.flush();
    } catch {
      // The last attempt failed; give up below.
    }
    if (this.#failure === undefined) return 0;
    const lost = this.#countRange(this.#items, this.#head, this.#items.length) +
      (this.#inflight === undefined ? 0 : this.#countRange(
        this.#inflight.items,
        this.#inflight.committed,
        this.#inflight.items.length,
      ));
    this.#failed += lost;
    this.#settled += lost;
    if (this.#onRelease !== undefined) {
      for (let i = this.#head; i < this.#items.length; i++) this.#onRelease(this.#items[i]);
      const inflight = this.#inflight;
      if (inflight !== undefined) {
        for (let i = inflight.committed; i < inflight.items.length; i++) {
          this.#onRelease(inflight.items[i]);
        }
      }
    }
    this.#items = [];
    this.#sizes = [];
    this.#head = 0;
    this.#queuedBytes = 0;
    this.#inflight = undefined;
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
    return this.#queuedBytes + (this.#inflight?.bytes ?? 0);
  }

  #dropOldest(room: number): void {
    while (
      this.#items.length > this.#head && this.#pendingBytes() + room > this.#options.maxBytes
    ) {
      this.#queuedBytes -= this.#sizes[this.#head];
      const item = this.#items[this.#head];
      const n = this.#count(item);
      this.#advance(this.#head + 1);
      this.#onRelease?.(item);
      this.#dropped += n;
      this.#settled += n;
    }
    this.#progressed();
  }

  /** Drops items before `head`, compacting the array now and then. */
  #advance(head: number): void {
    this.#head = head;
    if (head === this.#items.length) {
      this.#items = [];
      this.#sizes = [];
      this.#head = 0;
    } else if (head > 4096 && head * 2 > this.#items.length) {
      this.#items = this.#items.slice(head);
      this.#sizes = this.#sizes.slice(head);
      this.#head = 0;
    }
  }

  #waitForRoom(): Promise<void> {
    if (this.#room === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => resolve = r);
      // The retry timer is unref'd: while a producer waits for a failing destination, this
      // referenced one keeps the process alive (else it would end with the producer pending).
      const keepAlive = setInterval(() => {}, 2 ** 30);
      this.#room = {
        promise,
        resolve: () => {
          clearInterval(keepAlive);
          resolve();
        },
      };
    }
    // Failing: the retry timer (with its backoff) drains; a waiting producer does not force it.
    if (this.#failure === undefined) this.#startDrain(true);
    return this.#room.promise;
  }

  /** Lets waiting producers go on once there is room (or the queue closes or is unblocked). */
  #releaseRoom(): void {
    if (this.#room === undefined) return;
    const stopping = this.#closed || this.#unblocked;
    if (!stopping && this.#pendingBytes() >= this.#options.maxBytes) return;
    this.#room.resolve();
    this.#room = undefined;
  }

  /**
   * Lets every producer waiting for room go on at once, and no later one wait: the run is
   * stopping (a signal), so a producer blocked by a failing destination must not hold it. Items
   * pushed from now on are queued beyond the bound; what cannot be written at close is counted.
   */
  unblock(): void {
    this.#unblocked = true;
    this.#releaseRoom();
  }

  #armTimer(): void {
    if (this.#timer !== undefined) return;
    const retry = this.#options.retryDelayMs;
    const delay = this.#failure !== undefined && retry !== undefined
      ? retry(Math.max(1, this.#attempts))
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
    if (this.#failure !== undefined && !force) return;
    this.#draining = true;
    void this.#runDrain(force);
  }

  async #runDrain(force: boolean): Promise<void> {
    try {
      while (true) {
        if (this.#inflight === undefined) {
          if (this.#items.length === this.#head) return;
          // A producer waiting for room (block) makes a drain write on, however little is queued.
          const waiting = this.#room !== undefined;
          if (!force && !waiting && this.#queuedBytes < this.#options.flushBytes) return;
          this.#takeBatch();
        }
        const inflight = this.#inflight!;
        const batch: Batch<T> = {
          items: inflight.items,
          sizes: inflight.sizes,
          done: 0,
          commit: () => this.#commit(inflight, batch.done),
          extend: () => this.#extend(inflight),
        };
        try {
          await this.#writeSeconds.time(() => this.#options.write(batch));
          batch.done = inflight.items.length;
        } catch (error) {
          this.#settle(inflight, batch.done);
          this.#enterFailure(error);
          return;
        }
        const records = this.#settle(inflight, batch.done);
        this.#options.onBatchWritten?.(records);
        if (this.#failure !== undefined) this.#recovered();
        this.#releaseRoom();
        this.#progressed();
      }
    } finally {
      // Cleared here, synchronously as the loop ends (not in a later callback), so a producer
      // woken by the last batch that finds the queue full again starts a new drain.
      this.#draining = false;
      this.#progressed();
      // Failing: retry later. Items left below flushBytes: the interval writes them (it may have
      // come due during this drain, which it then could not start).
      if (!this.#closed && (this.#failure !== undefined || this.#items.length > this.#head)) {
        this.#armTimer();
      }
    }
  }

  /**
   * Counts the first `done` items of the in-flight batch as written (those not committed yet);
   * keeps the rest in flight. Returns the records written.
   */
  #settle(inflight: InFlight<T>, done: number): number {
    const start = inflight.committed;
    const n = Math.max(start, Math.min(done, inflight.items.length));
    const records = this.#countRange(inflight.items, start, n);
    this.#written += records;
    this.#settled += records;
    if (this.#onRelease !== undefined) {
      for (let i = start; i < n; i++) this.#onRelease(inflight.items[i]);
    }
    if (n === inflight.items.length) {
      this.#inflight = undefined;
      return records;
    }
    let bytes = inflight.bytes;
    for (let i = start; i < n; i++) bytes -= inflight.sizes[i];
    this.#inflight = {
      items: inflight.items.slice(n),
      sizes: inflight.sizes.slice(n),
      bytes,
      committed: 0,
      first: inflight.first + n,
    };
    return records;
  }

  /** {@linkcode Batch.commit} of the write of `inflight`: a no-op once that write is over. */
  #commit(inflight: InFlight<T>, done: number): void {
    if (this.#inflight !== inflight) return;
    const start = inflight.committed;
    const end = Math.min(done, inflight.items.length);
    if (end <= start) return;
    const records = this.#countRange(inflight.items, start, end);
    this.#written += records;
    this.#settled += records;
    for (let i = start; i < end; i++) {
      inflight.bytes -= inflight.sizes[i];
      this.#onRelease?.(inflight.items[i]);
      inflight.items[i] = undefined as T;
    }
    inflight.committed = end;
    this.#options.onBatchWritten?.(records);
    if (this.#failure !== undefined) this.#recovered();
    this.#releaseRoom();
    this.#progressed();
  }

  /** {@linkcode Batch.extend} of the write of `inflight`: 0 once that write is over. */
  #extend(inflight: InFlight<T>): number {
    if (this.#inflight !== inflight) return 0;
    const stop = Math.min(
      this.#items.length,
      this.#head + MAX_STREAMED_BATCH_ITEMS - inflight.items.length,
    );
    const start = this.#head;
    let end = start;
    let bytes = 0;
    while (end < stop && bytes < this.#flushBytes) {
      inflight.items.push(this.#items[end]);
      inflight.sizes.push(this.#sizes[end]);
      bytes += this.#sizes[end++];
    }
    if (end === start) return 0;
    inflight.bytes += bytes;
    this.#queuedBytes -= bytes;
    this.#advance(end);
    return end - start;
  }

  /** Moves about `flushBytes` of the oldest queued items into the in-flight batch. */
  #takeBatch(): void {
    const sizes = this.#sizes;
    const start = this.#head;
    let end = start;
    let bytes = 0;
    while (end < sizes.length && bytes < this.#options.flushBytes) bytes += sizes[end++];
    this.#inflight = {
      items: this.#items.slice(start, end),
      sizes: sizes.slice(start, end),
      bytes,
      committed: 0,
      first: this.#pushed - (sizes.length - start) + 1,
    };
    this.#queuedBytes -= bytes;
    this.#advance(end);
  }

  #enterFailure(error: unknown): void {
    this.#attempts++;
    if (this.#failure !== undefined) return;
    this.#failure = describeError(error);
    this.#lastFailure = this.#failure;
    this.#failedInEpisode = 0;
    this.#options.onFailure?.(this.#failure);
  }

  #recovered(): void {
    const cause = this.#failure!;
    this.#failure = undefined;
    this.#attempts = 0;
    // A retry timer armed with the failure's backoff (seconds, say) would hold back the next
    // interval write: the drain arms the interval again when items are left.
    this.#clearTimer();
    this.#options.onRecovery?.(cause, this.#failedInEpisode);
  }
}

/**
 * What a sink built on a queue reports: the queue's counters under the names of
 * {@linkcode SinkStats}.
 *
 * @example
 * ```ts
 * import { BatchingQueue, sinkStatsOf } from "./batching_queue.ts";
 * declare const queue: BatchingQueue<string>;
 * sinkStatsOf(queue.stats()).written;
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
