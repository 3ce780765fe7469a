/**
 * Publishing to JetStream through the shared batching queue: each item is published with its
 * message id (`Nats-Msg-Id`, so the stream's duplicate window drops a publish sent again), with
 * at most `ackWindow` publishes waiting for their acks at once. A batch counts as written up to
 * its first item without an ack; when the server is unreachable or an ack times out, the rest
 * stays queued and is retried with backoff (100 ms doubling to 5 s, with jitter); a full queue
 * makes the producer wait under `block` and counts overflow under the drop policies (the queue's
 * failure rules).
 *
 * @module
 */

import { maskPassword } from "../sinks/postgres_table.ts";
import { backoffDelayMs } from "../io/delay.ts";
import type { Logger } from "../log/logging.ts";
import {
  type Batch,
  BatchingQueue,
  type QueueTuning,
  sinkStatsOf,
} from "../sinks/batching_queue.ts";
import { closeQueueLogged, episodeLogging } from "../sinks/queue_logging.ts";
import type { SinkStats } from "../sinks/sink.ts";
import { PayloadArena } from "./payload_arena.ts";
import { AckWindow } from "./ack_window.ts";
import type { NatsCredentials } from "./credentials.ts";
import { PublishConnection } from "./publish_connection.ts";
import { NATS_PUBLISH_DEFAULTS } from "./settings.ts";

/** One message to publish. */
export interface PublishItem {
  /**
   * Its subject: one string shared by the messages on it (see `SnapshotSubjects`), not one made
   * per message, which would wait in the queue with its item as a chain of concatenations.
   */
  readonly subject: string;
  /** Its message id (`Nats-Msg-Id`): the `run_id`. */
  readonly msgId: string;
  /** Its JSON text. */
  readonly payload: string;
}

/** An item as queued: its payload as UTF-8 bytes (see `payload_arena.ts`). */
interface QueuedItem {
  readonly subject: string;
  readonly msgId: string;
  readonly payload: Uint8Array;
}

/** Options of a {@linkcode NatsPublisher}. */
export interface NatsPublisherOptions extends QueueTuning {
  /** `nats://host:port` or `tls://host:port` of the servers (any of them will do). */
  readonly servers: readonly string[];
  /** Credentials and TLS material (from the configuration's `auth` and `tls`), if any. */
  readonly credentials?: NatsCredentials;
  /** Name in logs, summaries and the server's connection list. */
  readonly name: string;
  /** Receives failure episodes and refusals. */
  readonly logger: Logger;
  /** Publishes waiting for their ack at most. Default 256. */
  readonly ackWindow?: number;
  /**
   * How long publishes may wait with no ack coming before the batch is retried, ms. Default
   * 5000.
   */
  readonly ackTimeoutMs?: number;
}

/** Counters of a {@linkcode NatsPublisher}: the sink counters plus acks marked duplicate. */
export interface NatsPublisherStats extends SinkStats {
  /** Publishes the stream acknowledged as duplicates (a retried publish it already had). */
  readonly duplicates: number;
}

/**
 * Publishes items to JetStream in order, with a bounded window of outstanding acks.
 *
 * @example
 * ```ts
 * import { NatsPublisher } from "./publisher.ts";
 * import { getObserverLogger } from "../log/logging.ts";
 * await using publisher = new NatsPublisher({
 *   servers: ["nats://127.0.0.1:4222"], name: "bus", logger: getObserverLogger("sink"),
 * });
 * await publisher.publish({ subject: "qts.snapshots.market.005930", msgId: "r1", payload: "{}" });
 * ```
 */
export class NatsPublisher implements AsyncDisposable {
  /** Name in logs and summaries. */
  readonly name: string;
  readonly #options: NatsPublisherOptions;
  readonly #queue: BatchingQueue<QueuedItem>;
  readonly #arena = new PayloadArena();
  readonly #window: number;
  readonly #timeout: number;
  readonly #connection: PublishConnection;
  #duplicates = 0;
  #refused = 0;
  /** Refused items the queue went past (it counts them as written; they were not). */
  #refusedInQueue = 0;
  #lastRefusal: string | undefined;
  #closed = false;

  /** Checks the options; connects on the first batch. */
  constructor(options: NatsPublisherOptions) {
    this.name = options.name;
    this.#connection = new PublishConnection(options.servers, options.name, options.credentials);
    this.#options = options;
    this.#window = options.ackWindow ?? NATS_PUBLISH_DEFAULTS.ackWindow;
    this.#timeout = options.ackTimeoutMs ?? NATS_PUBLISH_DEFAULTS.ackTimeoutMs;
    if (!Number.isSafeInteger(this.#window) || this.#window <= 0) {
      throw new RangeError(`ackWindow: expected a positive integer, got ${this.#window}`);
    }
    this.#queue = new BatchingQueue<QueuedItem>({
      maxBytes: options.maxQueueBytes ?? NATS_PUBLISH_DEFAULTS.maxQueueBytes,
      flushBytes: options.flushBytes ?? NATS_PUBLISH_DEFAULTS.flushBytes,
      flushIntervalMs: options.flushIntervalMs ?? NATS_PUBLISH_DEFAULTS.flushIntervalMs,
      whenFull: options.whenFull ?? NATS_PUBLISH_DEFAULTS.whenFull,
      // UTF-8 bytes plus one, as the JSONL sink counts a line.
      sizeOf: (item) => item.payload.length + 1,
      write: (batch) => this.#publishBatch(batch),
      retryDelayMs: (attempt) => backoffDelayMs(attempt),
      ...episodeLogging(
        options.logger,
        options.name,
        `NATS ${options.servers.map(maskPassword).join(",")}`,
        "with backoff",
      ),
    });
  }

  /** Queues one item; a promise means the queue is full (`block`). */
  publish(item: PublishItem): void | Promise<void> {
    if (this.#closed) throw new Error(`${this.name} is closed: expected publish() before close()`);
    return this.#queue.push({
      subject: item.subject,
      msgId: item.msgId,
      payload: this.#arena.encode(item.payload),
    });
  }

  /**
   * True while publishing fails with half the queue or more used (a producer that would rather
   * wait than drop checks it before each publish; constant time, unlike {@linkcode stats}).
   */
  get failingHalfFull(): boolean {
    return this.#queue.failingHalfFull;
  }

  /** Counts an item that cannot be published at all (no run_id, say), logging the reason. */
  refuse(id: string, reason: string): void {
    this.#refused++;
    this.#lastRefusal = reason;
    if (this.#refused <= 20) {
      this.#options.logger.error("{sink} refused message {id}: {reason}", {
        sink: this.name,
        id,
        reason,
      });
    }
  }

  /** Publishes everything accepted so far and waits for the acks; rejects while failing. */
  async flush(): Promise<void> {
    try {
      await this.#queue.flush();
    } catch (error) {
      throw new Error(`${this.name}: cannot publish to NATS: ${(error as Error).message}`);
    }
  }

  /** Publishes what is queued (one more attempt when failing), then closes the connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await closeQueueLogged(this.#queue, this.#options.logger, this.name);
    await this.#connection.close();
  }

  /** Same as {@linkcode close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Counters; refused items count as not written. */
  stats(): NatsPublisherStats {
    const q = sinkStatsOf(this.#queue.stats());
    return {
      ...q,
      written: q.written - this.#refusedInQueue,
      failed: q.failed + this.#refused,
      failure: q.failure ?? this.#lastRefusal,
      duplicates: this.#duplicates,
    };
  }

  /**
   * Publishes a batch and what is queued while it goes ({@linkcode Batch.extend}), handing over
   * each acked prefix as it grows ({@linkcode Batch.commit}): the window of outstanding acks is
   * refilled from the queue without ever running dry at the end of a batch, and a producer
   * waiting for room gets it as acks come (a batch that waited for its last ack before the next
   * began left `main.ts --publish` idle about a tenth of its time).
   */
  async #publishBatch(batch: Batch<QueuedItem>): Promise<void> {
    const { nc, inbox } = await this.#connection.open();
    const items = batch.items;
    const maxPayload = nc.info?.max_payload ?? Infinity;
    const acks = new AckWindow(items.length);
    // A full window is refilled once a quarter of it was acked, not one publish per ack: the
    // publishes of one refill leave in one socket write instead of one write each.
    const refillAt = this.#window - Math.max(1, Math.floor(this.#window / 4));
    let next = batch.done;
    /** Hands over the acked prefix of what was published. */
    const commit = () => {
      const done = acks.prefixEnd(batch.done, next);
      if (done === batch.done) return;
      batch.done = done;
      batch.commit();
    };
    // When no ack came for `ackTimeoutMs` while publishes wait, the batch fails (its unacked
    // rest is retried; the stream drops what it already has).
    const watchdog = acks.watch(this.#timeout);
    let firstToken: number | undefined;
    let lastToken = 0;
    try {
      while (acks.error === undefined) {
        if (next === items.length && batch.extend() === 0) {
          // Nothing queued: wait for the next ack (new items are looked for then), or end.
          if (acks.outstanding === 0) break;
          await acks.until(acks.outstanding - 1);
          commit();
          continue;
        }
        if (acks.outstanding >= this.#window) {
          await acks.until(refillAt);
          commit();
          continue;
        }
        const i = next++;
        const item = items[i];
        if (batch.sizes[i] - 1 > maxPayload) {
          this.refuse(item.msgId, `${batch.sizes[i] - 1} bytes exceed the server's max_payload`);
          this.#refusedInQueue++;
          acks.markDone(i);
          continue;
        }
        acks.sent();
        lastToken = inbox.publish(item.subject, item.payload, item.msgId, (outcome) => {
          if (outcome.ok && outcome.duplicate) this.#duplicates++;
          acks.answered(i, outcome.ok ? undefined : outcome.error);
        });
        firstToken ??= lastToken;
      }
      while (acks.outstanding > 0 && acks.error === undefined) await acks.until(0);
    } catch (thrown) {
      acks.error ??= thrown;
    } finally {
      clearInterval(watchdog);
      if (firstToken !== undefined) inbox.forget(firstToken, lastToken + 1);
    }
    batch.done = acks.prefixEnd(batch.done, items.length);
    if (acks.error !== undefined) throw acks.error;
  }
}
