/**
 * Making the stream and the durable consumer a configuration describes, with explicit limits:
 * `observer.ts stream create` and `consume` (which makes the consumer when it is missing).
 *
 * @module
 */

import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
} from "@nats-io/jetstream";
import type * as js from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import type { NatsConsumerSettings, NatsStreamSettings } from "./settings.ts";

/**
 * The client library's JetStream manager, as the functions here take it. Named here so the
 * public API references an exported type.
 */
export type JetStreamManager = js.JetStreamManager;

/** What {@linkcode applyStream} and {@linkcode ensureConsumer} did. */
export type SetupAction = "created" | "updated" | "exists";

function isNotFound(error: unknown, code: number): boolean {
  return error instanceof JetStreamApiError && error.code === code;
}

/** The server's stream configuration for the settings. */
function streamConfig(settings: NatsStreamSettings) {
  return {
    name: settings.name,
    subjects: [...settings.subjects],
    storage: settings.storage === "file" ? StorageType.File : StorageType.Memory,
    retention: settings.retention === "limits"
      ? RetentionPolicy.Limits
      : settings.retention === "workqueue"
      ? RetentionPolicy.Workqueue
      : RetentionPolicy.Interest,
    max_age: nanos(settings.maxAgeSeconds * 1000),
    max_bytes: settings.maxBytes,
    duplicate_window: nanos(settings.duplicateWindowSeconds * 1000),
    num_replicas: settings.replicas,
    discard: DiscardPolicy.Old,
  };
}

/**
 * Creates the stream, or updates one of that name to the settings (what the server allows to
 * change; it refuses e.g. a new storage type, with its reason).
 *
 * @example
 * ```ts
 * import { applyStream } from "./stream_setup.ts";
 * import type { JetStreamManager } from "./stream_setup.ts";
 * import { NATS_STREAM_DEFAULTS } from "./settings.ts";
 * declare const jsm: JetStreamManager;
 * await applyStream(jsm, NATS_STREAM_DEFAULTS); // => "created"
 * ```
 */
export async function applyStream(
  jsm: JetStreamManager,
  settings: NatsStreamSettings,
): Promise<SetupAction> {
  const config = streamConfig(settings);
  try {
    await jsm.streams.info(settings.name);
  } catch (error) {
    if (!isNotFound(error, JetStreamApiCodes.StreamNotFound)) throw error;
    await jsm.streams.add(config);
    return "created";
  }
  await jsm.streams.update(settings.name, config);
  return "updated";
}

/**
 * Makes the durable pull consumer when it is missing (explicit acks, every message from the
 * start of the stream); an existing one is left as it is.
 *
 * @example
 * ```ts
 * import { ensureConsumer } from "./stream_setup.ts";
 * import type { JetStreamManager } from "./stream_setup.ts";
 * import { NATS_CONSUMER_DEFAULTS } from "./settings.ts";
 * declare const jsm: JetStreamManager;
 * await ensureConsumer(jsm, "QTS_SNAPSHOTS", NATS_CONSUMER_DEFAULTS);
 * ```
 */
export async function ensureConsumer(
  jsm: JetStreamManager,
  stream: string,
  settings: NatsConsumerSettings,
): Promise<SetupAction> {
  try {
    await jsm.consumers.info(stream, settings.durable);
    return "exists";
  } catch (error) {
    if (!isNotFound(error, JetStreamApiCodes.ConsumerNotFound)) throw error;
  }
  await jsm.consumers.add(stream, {
    durable_name: settings.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(settings.ackWaitSeconds * 1000),
    max_ack_pending: settings.maxAckPending,
    max_deliver: settings.maxDeliver,
  });
  return "created";
}
