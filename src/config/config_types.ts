/**
 * The types of a validated configuration: the sink descriptions and the `nats` block, as the
 * schema ({@linkcode validateConfig} in `config_schema.ts`) makes them from the file.
 *
 * @module
 */

import type { QueueTuning } from "../sinks/batching_queue.ts";
import type { JsonlFileSinkTuning } from "../sinks/file_sink_tuning.ts";
import type { RecordFilterSpec } from "../sinks/record_filter.ts";
import type { RecordSampleSpec } from "../sinks/record_sampler.ts";
import type { NatsPayload } from "../nats/subjects.ts";
import type { NatsConsumerSettings, NatsStreamSettings } from "../nats/settings.ts";
import type { PostgresSecurityConfig } from "./postgres_security.ts";
import type { NatsSecured } from "./nats_security.ts";

/** What every sink description has. */
export interface SinkConfigBase {
  /** Unique name, for logs and the summary. */
  readonly name: string;
  /** Which records the sink takes; absent: every passed record. */
  readonly filter?: RecordFilterSpec;
  /** How many of those it keeps; absent: all. */
  readonly sample?: RecordSampleSpec;
}

/** A JSONL file under `data/observer`. */
export interface JsonlSinkConfig extends SinkConfigBase {
  /** Sink kind. */
  readonly type: "jsonl";
  /** File name under `data/observer` (a bare name ending in `.jsonl`). */
  readonly file: string;
  /** Queue, fsync and rotation settings. */
  readonly tuning: JsonlFileSinkTuning;
}

/** JSON lines on standard output, for piping. */
export interface StdoutSinkConfig extends SinkConfigBase {
  /** Sink kind. */
  readonly type: "stdout";
  /** Queue settings. */
  readonly tuning: QueueTuning;
}

/** A PostgreSQL table (TLS and password settings: `postgres_security.ts`). */
export interface PostgresSinkConfig extends SinkConfigBase, PostgresSecurityConfig {
  /** Sink kind. */
  readonly type: "postgres";
  /** The connection URL, when the file gives it. */
  readonly url?: string;
  /** The environment variable holding the URL, when the file names one instead. */
  readonly urlEnv?: string;
  /** Table written (created when missing). */
  readonly table: string;
  /** Queue settings. */
  readonly tuning: QueueTuning;
}

/** A NATS JetStream publisher of records or snapshots (`auth` and `tls`: `nats_security.ts`). */
export interface NatsSinkConfig extends SinkConfigBase, NatsSecured {
  /** Sink kind. */
  readonly type: "nats";
  /** `nats://host:port` or `tls://host:port` of the servers (any of them will do). */
  readonly servers: readonly string[];
  /** What each message carries. */
  readonly payload: NatsPayload;
  /** First subject tokens (`qts`). */
  readonly subjectPrefix: string;
  /** Publishes waiting for their ack at most. */
  readonly ackWindow: number;
  /** How long a publish waits for its ack, ms. */
  readonly ackTimeoutMs: number;
  /** Queue settings. */
  readonly tuning: QueueTuning;
}

/** One sink of the configuration. */
export type SinkConfig = JsonlSinkConfig | StdoutSinkConfig | PostgresSinkConfig | NatsSinkConfig;

/** The `nats` block: the stream `stream create` makes and the consumer `consume` pulls from. */
export interface NatsConfig extends NatsSecured {
  /** `nats://host:port` or `tls://host:port` of the servers (any of them will do). */
  readonly servers: readonly string[];
  /** The stream. */
  readonly stream: NatsStreamSettings;
  /** The durable pull consumer. */
  readonly consumer: NatsConsumerSettings;
}

/** A validated configuration. */
export interface ObserverConfig {
  /** Where records go, in order; at least one. */
  readonly sinks: readonly SinkConfig[];
  /** NATS stream and consumer settings, when the file has a `nats` block. */
  readonly nats?: NatsConfig;
}
