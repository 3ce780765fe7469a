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

import type { NatsConnection } from "@nats-io/transport-node";
import {
  type ConsumerMessages,
  jetstream,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstreamManager,
  type JsMsg,
} from "@nats-io/jetstream";
import { type Pipeline, recordsLetGo } from "./pipeline.ts";
import { recordStreamInParallel, textLineRecorder } from "./replay.ts";
import { ChunkBuffers } from "../parallel/chunk_buffers.ts";
import { ChunkWorkers } from "../parallel/chunk_workers.ts";
import { messageChunks } from "../parallel/message_chunks.ts";
import { textLineOfBytes } from "../io/line_reader.ts";
import type { Logger } from "../log/logging.ts";
import { backoffDelayMs, delay } from "../io/delay.ts";
import { connectNats } from "../nats/connect.ts";
import type { NatsCredentials } from "../nats/credentials.ts";
import type { NatsConsumerSettings } from "../nats/settings.ts";
import { ensureConsumer } from "../nats/stream_setup.ts";

/**
 * Bytes of messages in one chunk for the workers (`--workers` 2 or more): a chunk is cut sooner
 * when no further message is ready, so this bounds a chunk, not the wait for one.
 */
const MESSAGE_CHUNK_BYTES = 64 * 1024;

/** The JetStream ack and progress ("working") replies, as `JsMsg.ack()`/`working()` send them. */
const ACK: Uint8Array = new TextEncoder().encode("+ACK");
const WORKING: Uint8Array = new TextEncoder().encode("+WPI");

/**
 * What is kept of a recorded message until its ack: the subject its ack goes to, or, if the
 * client did not show it, the message itself.
 */
type AckHandle = string | JsMsg;

/**
 * The ack subject of `message` (`$JS.ACK.…`, where `JsMsg.ack()` sends `+ACK`). Keeping only
 * this string rather than the message matters: a message's bytes are a view of the socket chunk
 * it came in, so hundreds of messages held for one flush keep whole chunks alive, which were seen
 * to double the garbage collector's work. The client (`@nats-io/jetstream` 3.x) has the subject
 * as `reply` on every message it delivers, though its `JsMsg` type does not list it; when it is
 * missing or not an ack subject, the message itself is kept and acked with `ack()`.
 */
function ackHandle(message: JsMsg): AckHandle {
  const reply = (message as { reply?: unknown }).reply;
  return typeof reply === "string" && reply.startsWith("$JS.ACK.") ? reply : message;
}

/** What consume needs of a message's delivery info. */
export interface DeliveryNumbers {
  /** Its stream sequence. */
  readonly streamSequence: number;
  /** How often it was delivered (1 the first time). */
  readonly deliveryCount: number;
}

/**
 * The delivery count and stream sequence an ack subject holds, as `JsMsg.info` reads them:
 * `$JS.ACK.<stream>.<consumer>.<count>.<sseq>.…` (9 tokens) or, with domain and account hash,
 * `$JS.ACK.<domain>.<hash>.<stream>.<consumer>.<count>.<sseq>.…` (11 or more). `JsMsg.info`
 * builds an object of eleven fields from a split of the whole subject for every message; this
 * reads the two numbers. Undefined when `subject` is not such a subject (then ask the message).
 *
 * @example
 * ```ts
 * import { deliveryNumbers } from "./consume.ts";
 * deliveryNumbers("$JS.ACK.S.C.2.41.40.1700000000000000000.0");
 * // => { deliveryCount: 2, streamSequence: 41 }
 * ```
 */
export function deliveryNumbers(subject: string): DeliveryNumbers | undefined {
  if (!subject.startsWith("$JS.ACK.")) return undefined;
  // Where each token ends (its dot), read without splitting: this runs for every message.
  let dots = 0;
  for (let i = subject.indexOf("."); i >= 0; i = subject.indexOf(".", i + 1)) {
    if (dots === DOT_AT.length) return undefined;
    DOT_AT[dots++] = i;
  }
  const tokens = dots + 1;
  const at = tokens === 9 ? 4 : tokens >= 11 ? 6 : -1;
  if (at < 0) return undefined;
  const deliveryCount = decimal(subject, DOT_AT[at - 1] + 1, DOT_AT[at]);
  const streamSequence = decimal(subject, DOT_AT[at] + 1, DOT_AT[at + 1]);
  if (deliveryCount < 0 || streamSequence < 0) return undefined;
  return { deliveryCount, streamSequence };
}

/** Dot positions of the ack subject being read (at most 15 dots: 16 tokens). */
const DOT_AT = new Int32Array(15);

/** The decimal digits of `text` from `start` to `end` (1 to 15 of them) as a number, else -1. */
function decimal(text: string, start: number, end: number): number {
  if (end <= start || end - start > 15) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = text.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** `message`'s delivery numbers, from its ack subject when it has one, else from the client. */
function deliveryOf(message: JsMsg, handle: AckHandle): DeliveryNumbers {
  return (typeof handle === "string" ? deliveryNumbers(handle) : undefined) ?? message.info;
}

/** What {@linkcode consumeIntoPipeline} needs. */
export interface ConsumeOptions {
  /** `nats://host:port` or `tls://host:port` of the servers. */
  readonly servers: readonly string[];
  /** Credentials and TLS material (the `nats` block's `auth` and `tls`), if any. */
  readonly credentials?: NatsCredentials;
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
 * import type { Pipeline } from "./pipeline.ts";
 * import { getObserverLogger } from "../log/logging.ts";
 * import { NATS_CONSUMER_DEFAULTS } from "../nats/settings.ts";
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
    nc = await connectNats({
      servers: options.servers,
      name: `qts-consume:${options.instance}`,
      timeout: 5000,
      credentials: options.credentials,
      where: "nats",
    });
  } catch (error) {
    throw new ConsumeSetupError((error as Error).message);
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

  const acker = new Acker(nc, pipeline, settings, logger, signal, options.onAcked);
  const name = `nats:${options.stream}`;
  const result = { snapshots: 0, rejected: 0 };
  let redelivered = 0;
  const parallel = pipeline.parallel;
  try {
    if (parallel !== undefined) {
      // Judged by the workers, a chunk of messages at a time, written in order; a chunk's
      // messages are acked (in the acker's groups) once its records are with the sink.
      await using workers = new ChunkWorkers(parallel.workers, parallel.judge);
      const buffers = new ChunkBuffers(2 * workers.size + 2, MESSAGE_CHUNK_BYTES);
      let taken = 0;
      const chunks = messageChunks(messages, (message: JsMsg) => {
        taken++;
        const handle = ackHandle(message);
        const info = deliveryOf(message, handle);
        if (info.deliveryCount > 1) redelivered++;
        return { data: message.data, number: info.streamSequence, handle };
      }, {
        buffers,
        chunkBytes: MESSAGE_CHUNK_BYTES,
        onWritten: (handles) => acker.addChunk(handles),
        // Received by the client and not yet taken: the next one is queued.
        nextReady: () => messages.getReceived() > taken,
      });
      const recorded = await recordStreamInParallel(
        workers,
        parallel,
        name,
        chunks,
        { format: "snapshots", deadLetters: pipeline.deadLetters },
        { buffers, chunkBytes: MESSAGE_CHUNK_BYTES },
      );
      result.snapshots = recorded.snapshots;
      result.rejected = recorded.rejected;
    } else {
      const record = textLineRecorder(pipeline.observer, name, {
        deadLetters: pipeline.deadLetters,
      });
      for await (const message of messages) {
        const handle = ackHandle(message);
        const info = deliveryOf(message, handle);
        if (info.deliveryCount > 1) redelivered++;
        const outcome = await record(textLineOfBytes(message.data, info.streamSequence));
        if (outcome === "snapshot") result.snapshots++;
        else if (outcome === "rejected") result.rejected++;
        acker.add(handle);
      }
    }
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
 * every sink and the dead-letter file are flushed, then the group is acked (groups cut while a
 * flush runs wait for the next one, which acks them all). While a sink fails,
 * the group's messages are kept in progress (`working`) and the flush retried with backoff;
 * after a stop, a group whose sinks still fail is left unacked (it will be redelivered).
 *
 * A group during whose recording a sink let a record go (dropped by a full queue's policy, or
 * given up on while failing: the sinks' `dropped` and `failed` counters, and the dead-letter
 * file's, rose) is never acked: one of its messages is not where it should be, so the whole group
 * is left to be delivered again (its other records then appear twice, which `merge` removes).
 * Losses are told to their group exactly: a message's record is handed to the sinks before the
 * message joins a group, and a group is cut only between messages (between chunks, with workers).
 */
class Acker {
  acked = 0;
  unacked = 0;
  #pending: AckHandle[] = [];
  /** Groups cut and waiting for the next flush (group commit: one flush acks all of them). */
  #ready: AckHandle[] = [];
  /** The running flush loop, if any. */
  #flushing: Promise<void> | undefined;
  /** `finish()` was called: a failing flush is given up after three attempts. */
  #finishing = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Records let go of by the sinks when the last loss was told to a group. */
  #lostSeen: number;
  /** The group being gathered holds a message whose record was let go of. */
  #pendingLossy = false;

  constructor(
    readonly nc: NatsConnection,
    readonly pipeline: Pipeline,
    readonly settings: NatsConsumerSettings,
    readonly logger: Logger,
    readonly signal: AbortSignal,
    readonly onAcked?: (count: number) => void,
  ) {
    this.#lostSeen = recordsLetGo(this.pipeline);
  }

  /** Takes a message that was recorded. */
  add(message: AckHandle): void {
    this.#pending.push(message);
    this.#cutOrWait();
  }

  /** Takes the messages of a chunk that was recorded, all in one group. */
  addChunk(messages: readonly AckHandle[]): void {
    // A loss since the last look is this chunk's (its records were just handed to the sinks).
    const lossy = this.#lostSinceLastLook();
    if (this.#pending.length + messages.length > this.settings.batch) this.#cut();
    this.#pending.push(...messages);
    this.#pendingLossy ||= lossy;
    this.#cutOrWait();
  }

  async finish(): Promise<void> {
    // From here a failing flush is tried three times, as after a stop (the messages may have
    // ended with an error, no signal): the process ends rather than wait for its sinks forever.
    this.#finishing = true;
    this.#cut();
    await this.#flushing;
  }

  #cutOrWait(): void {
    if (this.#pending.length >= this.settings.batch) this.#cut();
    else this.#timer ??= setTimeout(() => this.#cut(), this.settings.ackDelayMs);
  }

  #cut(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.length === 0) return;
    const group = this.#pending;
    this.#pending = [];
    const lossy = this.#lostSinceLastLook() || this.#pendingLossy;
    this.#pendingLossy = false;
    if (lossy) {
      this.#holdBack(group);
      return;
    }
    for (const message of group) this.#ready.push(message);
    this.#flushing ??= this.#flushLoop();
  }

  /**
   * Flushes and acks the groups cut so far, then those cut meanwhile, until none waits. One
   * flush covers every group cut before it began: flushing each group in turn would ack one
   * group per write and sync while messages come faster, and the acks would fall behind until
   * the server stops delivering (`max_ack_pending`).
   */
  async #flushLoop(): Promise<void> {
    while (this.#ready.length > 0) {
      const messages = this.#ready;
      this.#ready = [];
      try {
        await this.#flushAndAck(messages);
      } catch (error) {
        // Sending the acks failed (the connection closed): they stay unacked, to be delivered
        // again, and the groups after them are still tried.
        this.unacked += messages.length;
        this.logger.error("Cannot ack {count} message(s): {error}; they will be delivered again", {
          count: messages.length,
          error: (error as Error).message,
        });
      }
    }
    this.#flushing = undefined;
  }

  /** True when the sinks let records go since the last look (and looks again from now). */
  #lostSinceLastLook(): boolean {
    const lost = recordsLetGo(this.pipeline);
    const rose = lost > this.#lostSeen;
    this.#lostSeen = lost;
    return rose;
  }

  /** Leaves a group with a record a sink let go of unacked, to be delivered again. */
  #holdBack(group: readonly AckHandle[]): void {
    const lost = this.#lostSeen;
    this.unacked += group.length;
    this.logger.error(
      "{count} message(s) left unacked, to be delivered again: a sink let records of them go " +
        "({lost} in this run so far, dropped by a full queue or given up on while failing)",
      { count: group.length, lost },
    );
  }

  /** Sends `payload` (an ack or a progress note) for every message of `group`, unawaited. */
  #reply(group: readonly AckHandle[], payload: Uint8Array): void {
    // Published in one go, the replies leave in one socket write.
    for (const message of group) {
      if (typeof message === "string") this.nc.publish(message, payload);
      else if (payload === ACK) message.ack();
      else message.working();
    }
  }

  async #flushAndAck(group: AckHandle[]): Promise<void> {
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
        if ((this.signal.aborted || this.#finishing) && attempt >= 3) {
          this.unacked += group.length;
          return;
        }
        this.#reply(group, WORKING);
        await delay(backoffDelayMs(attempt));
      }
    }
    this.#reply(group, ACK);
    this.acked += group.length;
    this.onAcked?.(group.length);
  }
}
