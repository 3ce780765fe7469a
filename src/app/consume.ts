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
import type { Pipeline } from "./pipeline.ts";
import { Acker } from "./consume_acker.ts";
import { recordStreamInParallel, textLineRecorder } from "./replay.ts";
import { ChunkBuffers } from "../parallel/chunk_buffers.ts";
import { ChunkWorkers } from "../parallel/chunk_workers.ts";
import { messageChunks } from "../parallel/message_chunks.ts";
import { textLineOfBytes } from "../io/line_reader.ts";
import type { Logger } from "../log/logging.ts";
import { ackHandle, deliveryOf } from "../nats/ack_subject.ts";
import { connectNats } from "../nats/connect.ts";
import type { NatsCredentials } from "../nats/credentials.ts";
import type { NatsConsumerSettings } from "../nats/settings.ts";
import { ensureConsumer } from "../nats/stream_setup.ts";

/**
 * Bytes of messages in one chunk for the workers (`--workers` 2 or more): a chunk is cut sooner
 * when no further message is ready, so this bounds a chunk, not the wait for one.
 */
const MESSAGE_CHUNK_BYTES = 64 * 1024;

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
  const { logger, signal } = options;
  const { nc, messages } = await openConsumer(options);
  const stop = () => messages.stop();
  if (signal.aborted) stop();
  signal.addEventListener("abort", stop, { once: true });
  const acker = new Acker(nc, pipeline, options.consumer, logger, signal, options.onAcked);
  const name = `nats:${options.stream}`;
  let counts: MessageCounts = { snapshots: 0, rejected: 0, redelivered: 0 };
  try {
    counts = pipeline.parallel === undefined
      ? await recordOneByOne(pipeline, name, messages, acker)
      : await recordInParallel(pipeline, pipeline.parallel, name, messages, acker);
  } finally {
    signal.removeEventListener("abort", stop);
    stop();
    await acker.finish();
    await nc.drain().catch(() => {});
  }
  return { ...counts, acked: acker.acked, unacked: acker.unacked };
}

/** Connects and starts pulling from the durable consumer (made when missing). */
async function openConsumer(
  options: ConsumeOptions,
): Promise<{ nc: NatsConnection; messages: ConsumerMessages }> {
  const settings = options.consumer;
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
  try {
    const jsm = await jetstreamManager(nc);
    await ensureConsumer(jsm, options.stream, settings);
    const consumer = await jetstream(nc).consumers.get(options.stream, settings.durable);
    return { nc, messages: await consumer.consume({ max_messages: settings.batch }) };
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
}

/** What recording the messages counted. */
interface MessageCounts {
  readonly snapshots: number;
  readonly rejected: number;
  readonly redelivered: number;
}

/** Each message judged and recorded in turn, then handed to the acker. */
async function recordOneByOne(
  pipeline: Pipeline,
  name: string,
  messages: ConsumerMessages,
  acker: Acker,
): Promise<MessageCounts> {
  const counts = { snapshots: 0, rejected: 0, redelivered: 0 };
  const record = textLineRecorder(pipeline.observer, name, { deadLetters: pipeline.deadLetters });
  for await (const message of messages) {
    const handle = ackHandle(message);
    const info = deliveryOf(message, handle);
    if (info.deliveryCount > 1) counts.redelivered++;
    const outcome = await record(textLineOfBytes(message.data, info.streamSequence));
    if (outcome === "snapshot") counts.snapshots++;
    else if (outcome === "rejected") counts.rejected++;
    acker.add(handle);
  }
  return counts;
}

/**
 * Messages judged by the workers, a chunk at a time, written in order; a chunk's messages are
 * acked (in the acker's groups) once its records are with the sink.
 */
async function recordInParallel(
  pipeline: Pipeline,
  parallel: NonNullable<Pipeline["parallel"]>,
  name: string,
  messages: ConsumerMessages,
  acker: Acker,
): Promise<MessageCounts> {
  await using workers = new ChunkWorkers(parallel.workers, parallel.judge);
  const buffers = new ChunkBuffers(2 * workers.size + 2, MESSAGE_CHUNK_BYTES);
  let taken = 0;
  let redelivered = 0;
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
  return { snapshots: recorded.snapshots, rejected: recorded.rejected, redelivered };
}
