/**
 * The effective configuration: what `observer.ts config check` prints, every default filled in,
 * in the file's own snake_case form (so it can be saved and used as a configuration itself).
 *
 * @module
 */

import { SINK_DEFAULTS } from "../sinks/file_sink_tuning.ts";
import type { FieldCondition, RecordFilterSpec } from "../sinks/record_filter.ts";
import { maskPassword, POSTGRES_SINK_DEFAULTS } from "../sinks/postgres_table.ts";
import { STREAM_SINK_DEFAULTS } from "../sinks/stream_sink.ts";
import type { QueueTuning } from "../sinks/batching_queue.ts";
import { NATS_SINK_DEFAULTS } from "../nats/settings.ts";
import type { ObserverConfig, SinkConfig } from "./config_types.ts";
import { postgresSecurityJson } from "./postgres_security.ts";
import { natsSecurityJson } from "./nats_security.ts";

/** A condition as the configuration file writes it, e.g. `inputs.volume >= 1000`. */
export function formatCondition(condition: FieldCondition): string {
  return `${condition.part}.${condition.keys.join(".")} ${condition.comparison} ${condition.value}`;
}

function filterJson(filter: RecordFilterSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(filter)) {
    if (value === undefined) continue;
    if (key === "where") out.where = (value as FieldCondition[]).map(formatCondition);
    else if (key === "all" || key === "any") {
      out[key] = (value as RecordFilterSpec[]).map(filterJson);
    } else if (key === "not") out.not = filterJson(value as RecordFilterSpec);
    else out[key] = value;
  }
  return out;
}

function queueJson(tuning: QueueTuning, defaults: Required<QueueTuning>) {
  return {
    queue_bytes: tuning.maxQueueBytes ?? defaults.maxQueueBytes,
    flush_bytes: tuning.flushBytes ?? defaults.flushBytes,
    flush_interval_ms: tuning.flushIntervalMs ?? defaults.flushIntervalMs,
    when_full: tuning.whenFull ?? defaults.whenFull,
  };
}

function sinkJson(sink: SinkConfig): Record<string, unknown> {
  const selection = {
    filter: sink.filter === undefined ? null : filterJson(sink.filter),
    sample: sink.sample === undefined ? null : { key: "symbol", ...sink.sample },
  };
  if (sink.type === "postgres") {
    return {
      type: "postgres",
      name: sink.name,
      ...(sink.url !== undefined ? { url: maskPassword(sink.url) } : { url_env: sink.urlEnv }),
      table: sink.table,
      ...postgresSecurityJson(sink),
      ...queueJson(sink.tuning, POSTGRES_SINK_DEFAULTS),
      ...selection,
    };
  }
  if (sink.type === "nats") {
    return {
      type: "nats",
      name: sink.name,
      servers: sink.servers.map(maskPassword),
      payload: sink.payload,
      subject_prefix: sink.subjectPrefix,
      ack_window: sink.ackWindow,
      ack_timeout_ms: sink.ackTimeoutMs,
      ...natsSecurityJson(sink.security),
      ...queueJson(sink.tuning, NATS_SINK_DEFAULTS),
      ...selection,
    };
  }
  if (sink.type === "stdout") {
    return {
      type: "stdout",
      name: sink.name,
      ...queueJson(sink.tuning, STREAM_SINK_DEFAULTS),
      ...selection,
    };
  }
  const rotation = sink.tuning.rotation;
  return {
    type: "jsonl",
    name: sink.name,
    file: sink.file,
    rotation: rotation === undefined ? null : {
      every_minutes: rotation.everyMinutes ?? null,
      max_bytes: rotation.maxBytes ?? null,
      keep: rotation.keep ?? null,
    },
    fsync: sink.tuning.fsync ?? SINK_DEFAULTS.fsync,
    fsync_interval_ms: sink.tuning.fsyncIntervalMs ?? SINK_DEFAULTS.fsyncIntervalMs,
    ...queueJson(sink.tuning, SINK_DEFAULTS),
    ...selection,
  };
}

/**
 * The configuration with every default filled in, as JSON the schema accepts back (`null`
 * stands for "none").
 *
 * @example
 * ```ts
 * import { effectiveConfig } from "./effective_config.ts";
 * effectiveConfig({ sinks: [{ type: "stdout", name: "out", tuning: {} }] });
 * // => { sinks: [{ type: "stdout", name: "out", queue_bytes: 4194304, ... }] }
 * ```
 */
export function effectiveConfig(
  config: ObserverConfig,
): { nats?: Record<string, unknown>; sinks: Record<string, unknown>[] } {
  const nats = config.nats;
  if (nats === undefined) return { sinks: config.sinks.map(sinkJson) };
  const { stream, consumer } = nats;
  return {
    nats: {
      servers: nats.servers.map(maskPassword),
      ...natsSecurityJson(nats.security),
      stream: {
        name: stream.name,
        subjects: stream.subjects,
        storage: stream.storage,
        retention: stream.retention,
        max_age_seconds: stream.maxAgeSeconds,
        max_bytes: stream.maxBytes,
        duplicate_window_seconds: stream.duplicateWindowSeconds,
        replicas: stream.replicas,
      },
      consumer: {
        durable: consumer.durable,
        batch: consumer.batch,
        ack_wait_seconds: consumer.ackWaitSeconds,
        max_ack_pending: consumer.maxAckPending,
        max_deliver: consumer.maxDeliver,
        ack_delay_ms: consumer.ackDelayMs,
      },
    },
    sinks: config.sinks.map(sinkJson),
  };
}
