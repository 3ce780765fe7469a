/**
 * The NATS settings of a configuration and their defaults, without the client library (loaded
 * only by runs that connect): the publish window, the stream `stream create` makes and the
 * durable pull consumer `consume` uses.
 *
 * @module
 */

/** Queue and ack defaults of a publisher (the `nats` sink, `main.ts --publish`). */
export const NATS_PUBLISH_DEFAULTS = {
  maxQueueBytes: 4 * 1024 * 1024,
  flushBytes: 1024 * 1024,
  flushIntervalMs: 10,
  whenFull: "block",
  ackWindow: 256,
  ackTimeoutMs: 5000,
} as const;

/**
 * Defaults of a configuration's `nats` sink, which follows the log: the publisher's, with batches
 * of 96 KiB of records (about 70 snapshots) instead of 1 MiB. A follower holds two batches until
 * their acks come, and lines held that long outlive V8's young generation: with 1 MiB batches a
 * follower shipping 200,000 records used 3.04 CPU-s and 3.06 s, with 96 KiB 2.56 CPU-s and 2.90 s
 * (medians of eight alternating runs, nats-server on loopback). Two batches then keep about 140
 * publishes waiting for acks, below `ack_window`: over a link with a long round trip a larger
 * `flush_bytes` keeps more of them in flight.
 */
export const NATS_SINK_DEFAULTS = { ...NATS_PUBLISH_DEFAULTS, flushBytes: 96 * 1024 } as const;

/** Where a stream keeps its messages. */
export const NATS_STORAGES = ["file", "memory"] as const;

/** When a stream lets messages go: by its limits, once acked (work queue), or by interest. */
export const NATS_RETENTIONS = ["limits", "workqueue", "interest"] as const;

/** The stream, with explicit limits. */
export interface NatsStreamSettings {
  /** Stream name. */
  readonly name: string;
  /** Subjects it captures, e.g. `qts.snapshots.>`. */
  readonly subjects: readonly string[];
  /** `file` (survives a server restart) or `memory`. */
  readonly storage: typeof NATS_STORAGES[number];
  /** Retention policy. */
  readonly retention: typeof NATS_RETENTIONS[number];
  /** Messages older than this are removed, seconds. */
  readonly maxAgeSeconds: number;
  /** The stream holds at most this many bytes (the oldest go first). */
  readonly maxBytes: number;
  /** A message id seen within this window is dropped as a duplicate, seconds. */
  readonly duplicateWindowSeconds: number;
  /** Copies kept on that many servers of a cluster. */
  readonly replicas: number;
}

/** The durable pull consumer. */
export interface NatsConsumerSettings {
  /** Durable name, shared by every `consume` process. */
  readonly durable: string;
  /** Messages pulled per request. */
  readonly batch: number;
  /** A message not acked within this long is delivered again, seconds. */
  readonly ackWaitSeconds: number;
  /** Messages delivered and not yet acked, over all processes, at most. */
  readonly maxAckPending: number;
  /** Deliveries of one message at most; -1 for no limit. */
  readonly maxDeliver: number;
  /** A recorded message waits at most this long for the flush that acks it, ms. */
  readonly ackDelayMs: number;
}

/** Defaults of {@linkcode NatsStreamSettings}. */
export const NATS_STREAM_DEFAULTS = {
  name: "QTS_SNAPSHOTS",
  subjects: ["qts.snapshots.>"],
  storage: "file",
  retention: "limits",
  maxAgeSeconds: 7 * 24 * 3600,
  maxBytes: 1024 * 1024 * 1024,
  duplicateWindowSeconds: 120,
  replicas: 1,
} as const satisfies NatsStreamSettings;

/** Defaults of {@linkcode NatsConsumerSettings}. */
export const NATS_CONSUMER_DEFAULTS = {
  durable: "qts-observer",
  batch: 500,
  ackWaitSeconds: 30,
  maxAckPending: 20000,
  maxDeliver: -1,
  ackDelayMs: 20,
} as const satisfies NatsConsumerSettings;
