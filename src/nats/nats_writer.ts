/**
 * Delivers batches of logged records to NATS JetStream: each record, or the snapshot inside it,
 * published on `<prefix>.<payload>.<source>.<symbol>` with its `run_id` as message id, at most
 * `ackWindow` publishes waiting for their acks at once, over two consecutive batches (the next
 * one publishes while the last acks of this one come in). A batch is delivered once every
 * publish of it is acknowledged; when the server is unreachable, refuses or an ack does not come
 * in time, `deliver` throws for it and every batch after it, and the follower sends them all
 * again: the stream's duplicate window drops what it already stored (so the window must be
 * longer than an outage).
 *
 * @module
 */

import { maskPassword } from "../sinks/postgres_table.ts";
import { recordSnapshotText } from "../io/json_slice.ts";
import type { Logger } from "../log/logging.ts";
import type { BatchDestination, Delivery, LoggedRecord } from "../sinks/sink.ts";
import type { NatsCredentials } from "./credentials.ts";
import { BatchAcks, SharedAckWindow } from "./batch_acks.ts";
import { PayloadArena } from "./payload_arena.ts";
import type { PubAckInbox } from "./pub_ack_inbox.ts";
import { PublishConnection, type Publishing } from "./publish_connection.ts";
import { NATS_PUBLISH_DEFAULTS } from "./settings.ts";
import { DEFAULT_SUBJECT_PREFIX, type NatsPayload, SnapshotSubjects } from "./subjects.ts";

/** Options of a {@linkcode NatsWriter}. */
export interface NatsWriterOptions {
  /** `nats://host:port` or `tls://host:port` of the servers (any of them will do). */
  readonly servers: readonly string[];
  /** Credentials and TLS material (from the configuration's `auth` and `tls`), if any. */
  readonly credentials?: NatsCredentials;
  /** Name in logs, summaries and the server's connection list. */
  readonly name: string;
  /** Receives refusals. */
  readonly logger: Logger;
  /** What each message carries. Default `snapshots`. */
  readonly payload?: NatsPayload;
  /** First subject tokens. Default `qts`. */
  readonly subjectPrefix?: string;
  /** Publishes waiting for their ack at most. Default 256. */
  readonly ackWindow?: number;
  /** How long publishes may wait with no ack coming before the batch fails, ms. Default 5000. */
  readonly ackTimeoutMs?: number;
}

/** Refused messages logged one by one; the rest are counted at close. */
const MAX_REFUSALS_LOGGED = 20;

/**
 * Publishes batches of logged records to JetStream.
 *
 * @example
 * ```ts
 * import { NatsWriter } from "./nats_writer.ts";
 * import { getObserverLogger } from "../log/logging.ts";
 * import type { LoggedRecord } from "../sinks/sink.ts";
 * declare const batch: LoggedRecord[];
 * await using writer = new NatsWriter({
 *   servers: ["nats://127.0.0.1:4222"], name: "bus", logger: getObserverLogger("sink"),
 * });
 * await writer.deliver(batch);
 * ```
 */
export class NatsWriter implements BatchDestination {
  /** Name in logs and summaries. */
  readonly name: string;
  /** `NATS <servers>`. */
  readonly description: string;
  readonly #options: NatsWriterOptions;
  readonly #payload: NatsPayload;
  readonly #subjects: SnapshotSubjects;
  readonly #connection: PublishConnection;
  readonly #acks: SharedAckWindow;
  /** Payload bytes, in shared chunks (no buffer of its own per message). */
  readonly #arena = new PayloadArena();
  /** Settles once the batch delivered last has published all its messages. */
  #turn: Promise<void> = Promise.resolve();
  #refused = 0;
  #lastRefusal: string | undefined;

  /** Checks the options; connects on the first batch. */
  constructor(options: NatsWriterOptions) {
    this.name = options.name;
    this.#connection = new PublishConnection(options.servers, options.name, options.credentials);
    this.description = `NATS ${options.servers.map(maskPassword).join(",")}`;
    this.#options = options;
    this.#payload = options.payload ?? "snapshots";
    this.#subjects = new SnapshotSubjects(
      options.subjectPrefix ?? DEFAULT_SUBJECT_PREFIX,
      this.#payload,
    );
    const window = options.ackWindow ?? NATS_PUBLISH_DEFAULTS.ackWindow;
    if (!Number.isSafeInteger(window) || window <= 0) {
      throw new RangeError(`ackWindow: expected a positive integer, got ${window}`);
    }
    this.#acks = new SharedAckWindow(
      window,
      options.ackTimeoutMs ?? NATS_PUBLISH_DEFAULTS.ackTimeoutMs,
    );
  }

  /**
   * Two: the next batch may be handed over while this one waits for its last acks, so the
   * window of publishes stays full across batches.
   */
  get batchesInFlight(): number {
    return 2;
  }

  /** Publishes acknowledged as duplicates so far (messages the stream already had). */
  get duplicates(): number {
    return this.#acks.duplicates;
  }

  /**
   * Publishes the batch and waits for every ack. It may be called again before it settled (see
   * {@linkcode batchesInFlight}): the next batch publishes once this one has published all its
   * messages, in the same window of publishes, while this one waits for its last acks. A record
   * without a run_id, or larger than the server's `max_payload`, is refused (counted, logged).
   * Throws when the connection fails, the stream refuses a publish, no ack comes for
   * `ackTimeoutMs`, or a batch delivered before it failed so.
   */
  async deliver(batch: readonly LoggedRecord[]): Promise<Delivery> {
    const previous = this.#turn;
    const turn = Promise.withResolvers<void>();
    this.#turn = turn.promise;
    const acks = this.#acks.begin();
    let inbox: PubAckInbox | undefined;
    let refused = 0;
    try {
      try {
        await previous;
        if (acks.error !== undefined) throw acks.error;
        const publishing = await this.#connection.open();
        inbox = publishing.inbox;
        refused = await this.#publish(batch, publishing, acks);
      } finally {
        turn.resolve(); // the next batch publishes now
      }
      await acks.settled();
    } finally {
      if (acks.first >= 0) inbox?.forget(acks.first, acks.last + 1);
      this.#acks.end(acks);
    }
    if (acks.error !== undefined) throw acks.error;
    return { refused };
  }

  /** Publishes the records of `batch` (waiting for room in the window); returns those refused. */
  async #publish(
    batch: readonly LoggedRecord[],
    { nc, inbox }: Publishing,
    acks: BatchAcks,
  ): Promise<number> {
    const maxPayload = nc.info?.max_payload ?? Infinity;
    const records = this.#payload === "records";
    let refused = 0;
    for (let i = 0; i < batch.length && acks.error === undefined; i++) {
      const { record, line, snapshotText } = batch[i];
      const runId = record.snapshot?.meta?.run_id;
      if (typeof runId !== "string" || runId === "") {
        this.#refuse("(none)", "a record without a run_id has no message id");
        refused++;
        continue;
      }
      // The snapshot's text as the log holds it (exact numbers), not parsed and serialized.
      const payload = this.#arena.encode(
        records
          ? line
          : snapshotText ?? recordSnapshotText(line) ?? JSON.stringify(record.snapshot),
      );
      if (payload.length > maxPayload) {
        this.#refuse(runId, `${payload.length} bytes exceed the server's max_payload`);
        refused++;
        continue;
      }
      // Awaited only when full: a yield per message would let the client flush each one alone.
      if (this.#acks.full) {
        await this.#acks.room(acks);
        if (acks.error !== undefined) break;
      }
      this.#acks.sent(acks);
      const token = inbox.publish(this.#subjects.of(record.snapshot), payload, runId, acks.answer);
      if (acks.first < 0) acks.first = token;
      acks.last = token;
    }
    return refused;
  }

  /** Closes the connection. Never rejects. */
  async close(): Promise<void> {
    if (this.#refused > MAX_REFUSALS_LOGGED) {
      this.#options.logger.error(
        "{sink} refused {refused} message(s) in all, the last for: {reason}",
        {
          sink: this.name,
          refused: this.#refused,
          reason: this.#lastRefusal,
        },
      );
    }
    await this.#connection.close();
  }

  /** Same as {@linkcode close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #refuse(id: string, reason: string): void {
    this.#refused++;
    this.#lastRefusal = reason;
    if (this.#refused <= MAX_REFUSALS_LOGGED) {
      this.#options.logger.error("{sink} refused message {id}: {reason}", {
        sink: this.name,
        id,
        reason,
      });
    }
  }
}
