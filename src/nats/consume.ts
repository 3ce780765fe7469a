/**
 * `observer.ts consume`: snapshots pulled from a durable JetStream consumer into a pipeline. Each
 * message is judged like an input line (the same parser, validation, guard and dead-letter file;
 * a dead-letter entry's `input` is `nats:<stream>` and its `line` the message's stream
 * sequence). A message is acknowledged only after its record was written — every sink flushed,
 * which under `fsync: always` means synced — and a message that became a dead letter only after
 * that entry was written. A crash before the ack means redelivery, never loss (at least once).
 *
 * @module
 */

import { connect } from "@nats-io/transport-node";
import {
  type ConsumerMessages,
  jetstream,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstreamManager,
  type JsMsg,
} from "@nats-io/jetstream";
import type { Pipeline } from "../app/pipeline.ts";
import { recordTextLines } from "../app/replay.ts";
import { type TextLine, textLineOfBytes } from "../io/line_reader.ts";
import type { Logger } from "../log/logging.ts";
import { backoffRetryDelayMs } from "../sinks/batching_queue.ts";
import { natsConnectOptions } from "./servers.ts";
import type { NatsConsumerSettings } from "./settings.ts";
import { ensureConsumer } from "./stream_setup.ts";

/** What {@linkcode consumeIntoPipeline} needs. */
export interface ConsumeOptions {
  /** `nats://host:port` of the servers. */
  readonly servers: readonly string[];
  /** The stream. */
  readonly stream: string;
  /** The durable consumer (made when missing). */
  readonly consumer: NatsConsumerSettings;
  /** This process's name among the consumers (connection name, logs). */
  readonly instance: string;
  /** Stops pulling; what was pulled is still recorded and acked. */
  readonly signal: AbortSignal;
  /** Receives connection and flush problems. */
  readonly logger: Logger;
  /** Called after each group of messages was acked, with how many (progress, tests). */
  readonly onAcked?: (count: number) => void;
}

/** What a consume run did. */
export interface ConsumeResult {
  /** Messages handed to the Observer (snapshots, blocked or not). */
  readonly snapshots: number;
  /** Messages that were not snapshots (in the dead-letter file). */
  readonly rejected: number;
  /** Messages acknowledged. */
  readonly acked: number;
  /** Messages that came again (a consumer died before acking them). */
  readonly redelivered: number;
  /** Messages pulled but left unacked at the end (their sinks kept failing). */
  readonly unacked: number;
}

/** Thrown when consuming cannot start: no server, no stream. */
export class ConsumeSetupError extends Error {
  /** Makes the error. */
  constructor(message: string) {
    super(message);
    this.name = "ConsumeSetupError";
  }
}

/**
 * Pulls from the durable consumer until `signal` aborts, recording every message into
 * `pipeline` and acking it once written; then stops pulling, records and acks what was pulled,
 * and disconnects. The caller closes the pipeline.
 *
 * @example
 * ```ts
 * import { consumeIntoPipeline } from "./consume.ts";
 * import type { Pipeline } from "../app/pipeline.ts";
 * import { getObserverLogger } from "../log/logging.ts";
 * import { NATS_CONSUMER_DEFAULTS } from "./settings.ts";
 * declare const pipeline: Pipeline;
 * await consumeIntoPipeline(pipeline, {
 *   servers: ["nats://127.0.0.1:4222"], stream: "QTS_SNAPSHOTS", consumer: NATS_CONSUMER_DEFAULTS,
 *   instance: "1", signal: AbortSignal.timeout(1000), logger: getObserverLogger("consume"),
 * });
 * ```
 */
export async function consumeIntoPipeline(
  pipeline: Pipeline,
  options: ConsumeOptions,
): Promise<ConsumeResult> {
  const { logger, signal, consumer: settings } = options;
  let nc;
  try {
    nc = await connect(
      natsConnectOptions(options.servers, `qts-consume:${options.instance}`, 5000),
    );
  } catch (error) {
    throw new ConsumeSetupError(
      `cannot reach NATS at ${options.servers.join(",")}: ${(error as Error).message}`,
    );
  }
  let messages: ConsumerMessages;
  try {
    const jsm = await jetstreamManager(nc);
    await ensureConsumer(jsm, options.stream, settings);
    const consumer = await jetstream(nc).consumers.get(options.stream, settings.durable);
    messages = await consumer.consume({ max_messages: settings.batch });
  } catch (error) {
    await nc.close().catch(() => {});
    const missing = error instanceof JetStreamApiError &&
      error.code === JetStreamApiCodes.StreamNotFound;
    throw new ConsumeSetupError(
      missing
        ? `stream ${options.stream} not found: create it with observer.ts stream create --config ...`
        : `cannot consume ${options.stream}/${settings.durable}: ${(error as Error).message}`,
    );
  }
  const stop = () => messages.stop();
  if (signal.aborted) stop();
  signal.addEventListener("abort", stop, { once: true });

  const acker = new Acker(pipeline, settings, logger, signal, options.onAcked);
  let redelivered = 0;
  async function* lines(): AsyncGenerator<TextLine> {
    for await (const message of messages) {
      if (message.redelivered) redelivered++;
      yield textLineOfBytes(message.data, message.seq);
      // Resumed only once the line was handed to the Observer (and its dead letter queued).
      acker.add(message);
    }
  }
  let result;
  try {
    result = await recordTextLines(pipeline.observer, `nats:${options.stream}`, lines(), {
      deadLetters: pipeline.deadLetters,
    });
  } finally {
    signal.removeEventListener("abort", stop);
    stop();
    await acker.finish();
    await nc.drain().catch(() => {});
  }
  return {
    snapshots: result.snapshots,
    rejected: result.rejected,
    acked: acker.acked,
    redelivered,
    unacked: acker.unacked,
  };
}

/**
 * Acks recorded messages in groups: when `batch` are waiting or `ackDelayMs` after the first,
 * every sink and the dead-letter file are flushed, then the group is acked. While a sink fails,
 * the group's messages are kept in progress (`working`) and the flush retried with backoff;
 * after a stop, a group whose sinks still fail is left unacked (it will be redelivered).
 */
class Acker {
  acked = 0;
  unacked = 0;
  #pending: JsMsg[] = [];
  #chain: Promise<void> = Promise.resolve();
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly pipeline: Pipeline,
    readonly settings: NatsConsumerSettings,
    readonly logger: Logger,
    readonly signal: AbortSignal,
    readonly onAcked?: (count: number) => void,
  ) {}

  add(message: JsMsg): void {
    this.#pending.push(message);
    if (this.#pending.length >= this.settings.batch) this.#cut();
    else this.#timer ??= setTimeout(() => this.#cut(), this.settings.ackDelayMs);
  }

  async finish(): Promise<void> {
    this.#cut();
    await this.#chain;
  }

  #cut(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.length === 0) return;
    const group = this.#pending;
    this.#pending = [];
    this.#chain = this.#chain.then(() => this.#flushAndAck(group));
  }

  async #flushAndAck(group: JsMsg[]): Promise<void> {
    for (let attempt = 1;; attempt++) {
      try {
        await Promise.all([
          ...this.pipeline.sinks.map(({ sink }) => sink.flush()),
          this.pipeline.deadLetters.flush(),
        ]);
        break;
      } catch (error) {
        if (attempt === 1) {
          this.logger.error(
            "Cannot ack {count} message(s) yet: {error}; retrying, the messages stay unacked",
            { count: group.length, error: (error as Error).message },
          );
        }
        if (this.signal.aborted && attempt >= 3) {
          this.unacked += group.length;
          return;
        }
        for (const message of group) message.working();
        await new Promise((r) => setTimeout(r, backoffRetryDelayMs(attempt)));
      }
    }
    for (const message of group) message.ack();
    this.acked += group.length;
    this.onAcked?.(group.length);
  }
}
