/**
 * Publishes records, or the snapshots inside them, to NATS JetStream subjects
 * `<prefix>.records.<source>.<symbol>` / `<prefix>.snapshots.<source>.<symbol>`, with the
 * `run_id` as message id; the queue, ack window and failure rules are the publisher's.
 *
 * @module
 */

import type { PatternRecord } from "../contract/pattern_record.ts";
import {
  NatsPublisher,
  type NatsPublisherOptions,
  type NatsPublisherStats,
} from "../nats/publisher.ts";
import { DEFAULT_SUBJECT_PREFIX, type NatsPayload, SnapshotSubjects } from "../nats/subjects.ts";
import type { Sink } from "./sink.ts";

/** Options of a {@linkcode NatsSink}. */
export interface NatsSinkOptions extends NatsPublisherOptions {
  /** What each message carries. Default `snapshots`. */
  readonly payload?: NatsPayload;
  /** First subject tokens. Default `qts`. */
  readonly subjectPrefix?: string;
}

/**
 * A sink that publishes to JetStream.
 *
 * @example
 * ```ts
 * import { NatsSink } from "./nats_sink.ts";
 * import { getObserverLogger } from "../log/logging.ts";
 * import type { PatternRecord } from "../contract/pattern_record.ts";
 * declare const record: PatternRecord;
 * await using sink = new NatsSink({
 *   servers: ["nats://127.0.0.1:4222"], name: "bus", logger: getObserverLogger("sink"),
 * });
 * await sink.write(record);
 * ```
 */
export class NatsSink implements Sink<PatternRecord> {
  /** Name in logs and summaries. */
  readonly name: string;
  readonly #publisher: NatsPublisher;
  readonly #payload: NatsPayload;
  readonly #subjects: SnapshotSubjects;

  /** Connects on the first batch. */
  constructor(options: NatsSinkOptions) {
    this.name = options.name;
    this.#publisher = new NatsPublisher(options);
    this.#payload = options.payload ?? "snapshots";
    this.#subjects = new SnapshotSubjects(
      options.subjectPrefix ?? DEFAULT_SUBJECT_PREFIX,
      this.#payload,
    );
  }

  /** Queues one record's message; a promise means the queue is full (`block`). */
  write(record: PatternRecord): void | Promise<void> {
    const snapshot = record.snapshot;
    const runId = snapshot?.meta?.run_id;
    if (typeof runId !== "string" || runId === "") {
      this.#publisher.refuse("(none)", "a record without a run_id has no message id");
      return;
    }
    return this.#publisher.publish({
      subject: this.#subjects.of(snapshot),
      msgId: runId,
      payload: JSON.stringify(this.#payload === "snapshots" ? snapshot : record),
    });
  }

  /** Publishes what is queued and waits for the acks. */
  flush(): Promise<void> {
    return this.#publisher.flush();
  }

  /** Publishes what is queued, then disconnects. Never rejects. */
  close(): Promise<void> {
    return this.#publisher.close();
  }

  /** Same as {@linkcode close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Counters. */
  stats(): NatsPublisherStats {
    return this.#publisher.stats();
  }
}
