/**
 * Delivers batches of logged records to NATS JetStream: each record, or the snapshot inside it,
 * published on `<prefix>.<payload>.<source>.<symbol>` with its `run_id` as message id, at most
 * `ackWindow` publishes waiting for their acks at once. A batch is delivered once every publish
 * of it is acknowledged; when the server is unreachable, refuses or an ack does not come in
 * time, `deliver` throws and the follower sends the whole batch again: the stream's duplicate
 * window drops what it already stored (so the window must be longer than an outage).
 *
 * @module
 */

import { maskPassword } from "../sinks/postgres_table.ts";
import { recordSnapshotText } from "../io/json_slice.ts";
import type { Logger } from "../log/logging.ts";
import type { BatchDestination, Delivery, LoggedRecord } from "../sinks/sink.ts";
import type { NatsCredentials } from "./credentials.ts";
import { PublishConnection } from "./publish_connection.ts";
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

const encoder = new TextEncoder();

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
  readonly #window: number;
  readonly #timeout: number;
  readonly #connection: PublishConnection;
  #refused = 0;
  #duplicates = 0;
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
    this.#window = options.ackWindow ?? NATS_PUBLISH_DEFAULTS.ackWindow;
    this.#timeout = options.ackTimeoutMs ?? NATS_PUBLISH_DEFAULTS.ackTimeoutMs;
    if (!Number.isSafeInteger(this.#window) || this.#window <= 0) {
      throw new RangeError(`ackWindow: expected a positive integer, got ${this.#window}`);
    }
  }

  /** Publishes acknowledged as duplicates so far (messages the stream already had). */
  get duplicates(): number {
    return this.#duplicates;
  }

  /**
   * Publishes the batch and waits for every ack. A record without a run_id, or larger than the
   * server's `max_payload`, is refused (counted, logged). Throws when the connection fails, the
   * stream refuses a publish, or no ack comes for `ackTimeoutMs`.
   */
  async deliver(batch: readonly LoggedRecord[]): Promise<Delivery> {
    const { nc, inbox } = await this.#connection.open();
    const maxPayload = nc.info?.max_payload ?? Infinity;
    let refused = 0;
    let outstanding = 0;
    let error: Error | undefined;
    let wake: (() => void) | undefined;
    let lastAck = performance.now();
    const settle = () => {
      const resolve = wake;
      wake = undefined;
      resolve?.();
    };
    const watchdog = setInterval(() => {
      if (outstanding === 0 || performance.now() - lastAck < this.#timeout) return;
      error ??= new Error(`no publish ack from NATS within ${this.#timeout} ms`);
      settle();
    }, Math.max(10, Math.min(250, this.#timeout / 4)));
    let first: number | undefined;
    let last = 0;
    try {
      for (const { record, line } of batch) {
        if (error !== undefined) break;
        const runId = record.snapshot?.meta?.run_id;
        if (typeof runId !== "string" || runId === "") {
          this.#refuse("(none)", "a record without a run_id has no message id");
          refused++;
          continue;
        }
        // The snapshot's text as the log holds it (exact numbers), not parsed and serialized.
        const payload = encoder.encode(
          this.#payload === "records"
            ? line
            : recordSnapshotText(line) ?? JSON.stringify(record.snapshot),
        );
        if (payload.length > maxPayload) {
          this.#refuse(runId, `${payload.length} bytes exceed the server's max_payload`);
          refused++;
          continue;
        }
        while (outstanding >= this.#window && error === undefined) {
          await new Promise<void>((resolve) => wake = resolve);
        }
        if (error !== undefined) break;
        if (outstanding === 0) lastAck = performance.now();
        outstanding++;
        last = inbox.publish(this.#subjects.of(record.snapshot), payload, runId, (outcome) => {
          outstanding--;
          lastAck = performance.now();
          if (!outcome.ok) error ??= outcome.error;
          else if (outcome.duplicate) this.#duplicates++;
          settle();
        });
        first ??= last;
      }
      while (outstanding > 0 && error === undefined) {
        await new Promise<void>((resolve) => wake = resolve);
      }
    } finally {
      clearInterval(watchdog);
      if (first !== undefined) inbox.forget(first, last + 1);
    }
    if (error !== undefined) throw error;
    return { refused };
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
