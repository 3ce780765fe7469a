/**
 * The configuration file's schema (zod): where records go (`sinks`), and for each sink which
 * records (`filter`) and how many of them (`sample`). The schema turns the file's snake_case
 * JSON into typed sink descriptions (`config_types.ts`), or into issues that name the path of every
 * problem (`config_problems.ts`). Filters and samples: `filter_schema.ts`.
 *
 * @module
 */

import { z } from "zod";
import { checkUserRecordFileName } from "../paths.ts";
import {
  MAX_TOTAL_QUEUE_BYTES,
  type QueueTuning,
  WHEN_FULL_POLICIES,
} from "../sinks/batching_queue.ts";
import { FSYNC_POLICIES, SINK_DEFAULTS } from "../sinks/file_sink_tuning.ts";
import { mixedSchemeProblem, natsEndpoint } from "../nats/servers.ts";
import { DEFAULT_SUBJECT_PREFIX, NATS_PAYLOADS, SUBJECT_PREFIX_PATTERN } from "../nats/subjects.ts";
import {
  NATS_CONSUMER_DEFAULTS,
  NATS_PUBLISH_DEFAULTS,
  NATS_RETENTIONS,
  NATS_STORAGES,
  NATS_STREAM_DEFAULTS,
} from "../nats/settings.ts";
import {
  DEFAULT_POSTGRES_TABLE,
  POSTGRES_TABLE_PATTERN,
  postgresEndpoint,
} from "../sinks/postgres_table.ts";
import {
  postgresSecurityConfig,
  postgresSecurityFields,
  postgresSecurityProblems,
} from "./postgres_security.ts";
import { natsSecurityFields, natsSecurityOf } from "./nats_security.ts";
import type { NatsConfig, ObserverConfig, SinkConfig } from "./config_types.ts";
import { schemaProblems } from "./config_problems.ts";
import { boundedFilterSchema, nonEmptyText, positiveInt, sampleSchema } from "./filter_schema.ts";

const text = nonEmptyText;

const queueFields = {
  queue_bytes: positiveInt().optional(),
  flush_bytes: positiveInt().optional(),
  flush_interval_ms: positiveInt().optional(),
  when_full: z.enum(WHEN_FULL_POLICIES, {
    error: `expected one of ${WHEN_FULL_POLICIES.join(", ")}`,
  }).optional(),
};

const commonFields = {
  name: text.optional(),
  filter: boundedFilterSchema.nullish(),
  sample: sampleSchema.nullish(),
};

const fileName = text.superRefine((value, ctx) => {
  try {
    checkUserRecordFileName(value);
  } catch (error) {
    ctx.addIssue({ code: "custom", message: (error as Error).message });
  }
});

const jsonlSchema = z.strictObject({
  type: z.literal("jsonl"),
  file: fileName,
  rotation: z.strictObject({
    every_minutes: positiveInt().nullish(),
    max_bytes: positiveInt().nullish(),
    keep: positiveInt().nullish(),
  }, { error: "expected a rotation object" }).refine(
    (r) => r.every_minutes != null || r.max_bytes != null,
    { error: "expected every_minutes and/or max_bytes" },
  ).nullish(),
  fsync: z.enum(FSYNC_POLICIES, { error: `expected one of ${FSYNC_POLICIES.join(", ")}` })
    .optional(),
  fsync_interval_ms: positiveInt().optional(),
  ...queueFields,
  ...commonFields,
});

const stdoutSchema = z.strictObject({ type: z.literal("stdout"), ...queueFields, ...commonFields });

const postgresSchema = z.strictObject({
  type: z.literal("postgres"),
  url: text.refine((value) => {
    try {
      postgresEndpoint(value);
      return true;
    } catch {
      return false;
    }
  }, { error: "expected a postgres://user@host:port/database URL" }).optional(),
  url_env: z.string({ error: "expected the name of an environment variable" }).regex(
    /^[A-Za-z_][A-Za-z0-9_]*$/,
    { error: "expected the name of an environment variable (letters, digits, _)" },
  ).optional(),
  table: z.string({ error: "expected a table name" }).regex(POSTGRES_TABLE_PATTERN, {
    error: "expected a table name like observer_records or schema.name (letters, digits, _; " +
      "at most 40 each)",
  }).optional(),
  ...postgresSecurityFields,
  ...queueFields,
  ...commonFields,
}).superRefine((s, ctx) => {
  if ((s.url === undefined) === (s.url_env === undefined)) {
    ctx.addIssue({
      code: "custom",
      message: `expected exactly one of url and url_env, got ${
        s.url === undefined ? "neither" : "both"
      }`,
    });
  }
  for (const [key, message] of postgresSecurityProblems(s.url, postgresSecurityConfig(s), "url")) {
    ctx.addIssue({ code: "custom", path: [key], message });
  }
});

const natsServers = z.union(
  [text, z.array(text).min(1, { error: "expected at least one server" })],
  {
    error: "expected a nats://host:port or tls://host:port URL, or a list of them",
  },
).transform((value, ctx): string[] => {
  const list = typeof value === "string" ? [value] : value;
  list.forEach((server, i) => {
    try {
      natsEndpoint(server);
    } catch (error) {
      ctx.addIssue({
        code: "custom",
        message: (error as Error).message,
        path: typeof value === "string" ? [] : [i],
      });
    }
  });
  const mixed = mixedSchemeProblem(list);
  if (mixed !== undefined) ctx.addIssue({ code: "custom", message: mixed });
  return list;
});

const natsSchema = z.strictObject({
  type: z.literal("nats"),
  servers: natsServers,
  payload: z.enum(NATS_PAYLOADS, { error: `expected one of ${NATS_PAYLOADS.join(", ")}` })
    .optional(),
  subject_prefix: z.string({ error: "expected a subject prefix" }).regex(SUBJECT_PREFIX_PATTERN, {
    error: "expected a subject prefix like qts or site1.qts (letters, digits, _ and -, " +
      "tokens separated by dots)",
  }).optional(),
  ack_window: positiveInt().optional(),
  ack_timeout_ms: positiveInt().optional(),
  ...natsSecurityFields,
  ...queueFields,
  ...commonFields,
});

const SINK_TYPES = ["jsonl", "stdout", "postgres", "nats"] as const;

const sinkSchema = z.discriminatedUnion("type", [
  jsonlSchema,
  stdoutSchema,
  postgresSchema,
  natsSchema,
], {
  error: `expected a sink object with "type" one of ${SINK_TYPES.join(", ")}`,
});

type RawSink = z.infer<typeof sinkSchema>;

function queueTuning(raw: RawSink): QueueTuning {
  return {
    maxQueueBytes: raw.queue_bytes,
    flushBytes: raw.flush_bytes,
    flushIntervalMs: raw.flush_interval_ms,
    whenFull: raw.when_full,
  };
}

function toSinkConfig(raw: RawSink, index: number): SinkConfig {
  const common = { filter: raw.filter ?? undefined, sample: raw.sample ?? undefined };
  if (raw.type === "nats") {
    return {
      type: "nats",
      name: raw.name ?? `nats#${index}`,
      servers: raw.servers,
      payload: raw.payload ?? "snapshots",
      subjectPrefix: raw.subject_prefix ?? DEFAULT_SUBJECT_PREFIX,
      ackWindow: raw.ack_window ?? NATS_PUBLISH_DEFAULTS.ackWindow,
      ackTimeoutMs: raw.ack_timeout_ms ?? NATS_PUBLISH_DEFAULTS.ackTimeoutMs,
      ...natsSecurityOf(raw),
      tuning: queueTuning(raw),
      ...common,
    };
  }
  if (raw.type === "postgres") {
    return {
      type: "postgres",
      name: raw.name ?? `postgres#${index}`,
      url: raw.url,
      urlEnv: raw.url_env,
      table: raw.table ?? DEFAULT_POSTGRES_TABLE,
      ...postgresSecurityConfig(raw),
      tuning: queueTuning(raw),
      ...common,
    };
  }
  if (raw.type === "stdout") {
    return {
      type: "stdout",
      name: raw.name ?? `stdout#${index}`,
      tuning: queueTuning(raw),
      ...common,
    };
  }
  const rotation = raw.rotation == null ? undefined : {
    everyMinutes: raw.rotation.every_minutes ?? undefined,
    maxBytes: raw.rotation.max_bytes ?? undefined,
    keep: raw.rotation.keep ?? undefined,
  };
  return {
    type: "jsonl",
    name: raw.name ?? raw.file,
    file: raw.file,
    tuning: {
      ...queueTuning(raw),
      fsync: raw.fsync,
      fsyncIntervalMs: raw.fsync_interval_ms,
      rotation,
    },
    ...common,
  };
}

const streamName = z.string({ error: "expected a name" }).regex(/^[A-Za-z0-9_-]{1,64}$/, {
  error: "expected a name of letters, digits, _ and - (at most 64)",
});

const natsBlockSchema = z.strictObject({
  servers: natsServers,
  ...natsSecurityFields,
  stream: z.strictObject({
    name: streamName.optional(),
    subjects: z.array(
      z.string({ error: "expected a subject" }).regex(/^[^\s]+$/, {
        error: "expected a subject without spaces, e.g. qts.snapshots.>",
      }),
      { error: "expected a list of subjects" },
    ).min(1, { error: "expected at least one subject" }).optional(),
    storage: z.enum(NATS_STORAGES, { error: `expected one of ${NATS_STORAGES.join(", ")}` })
      .optional(),
    retention: z.enum(NATS_RETENTIONS, {
      error: `expected one of ${NATS_RETENTIONS.join(", ")}`,
    }).optional(),
    max_age_seconds: positiveInt().optional(),
    max_bytes: positiveInt().optional(),
    duplicate_window_seconds: positiveInt().optional(),
    replicas: z.number({ error: "expected 1 to 5" }).int({ error: "expected 1 to 5" }).min(1, {
      error: "expected 1 to 5",
    }).max(5, { error: "expected 1 to 5" }).optional(),
  }, { error: "expected a stream object" }).optional(),
  consumer: z.strictObject({
    durable: streamName.optional(),
    batch: positiveInt().optional(),
    ack_wait_seconds: positiveInt().optional(),
    max_ack_pending: positiveInt().optional(),
    max_deliver: z.number({ error: "expected a positive integer or -1 (no limit)" }).int({
      error: "expected a positive integer or -1 (no limit)",
    }).refine((n) => n === -1 || n > 0, {
      error: "expected a positive integer or -1 (no limit)",
    }).optional(),
    ack_delay_ms: positiveInt().optional(),
  }, { error: "expected a consumer object" }).optional(),
}, { error: "expected a nats object with servers, stream and consumer" }).transform(
  (raw): NatsConfig => {
    const stream = raw.stream ?? {};
    const consumer = raw.consumer ?? {};
    const d = NATS_STREAM_DEFAULTS;
    const c = NATS_CONSUMER_DEFAULTS;
    return {
      servers: raw.servers,
      ...natsSecurityOf(raw),
      stream: {
        name: stream.name ?? d.name,
        subjects: stream.subjects ?? [...d.subjects],
        storage: stream.storage ?? d.storage,
        retention: stream.retention ?? d.retention,
        maxAgeSeconds: stream.max_age_seconds ?? d.maxAgeSeconds,
        maxBytes: stream.max_bytes ?? d.maxBytes,
        duplicateWindowSeconds: stream.duplicate_window_seconds ?? d.duplicateWindowSeconds,
        replicas: stream.replicas ?? d.replicas,
      },
      consumer: {
        durable: consumer.durable ?? c.durable,
        batch: consumer.batch ?? c.batch,
        ackWaitSeconds: consumer.ack_wait_seconds ?? c.ackWaitSeconds,
        maxAckPending: consumer.max_ack_pending ?? c.maxAckPending,
        maxDeliver: consumer.max_deliver ?? c.maxDeliver,
        ackDelayMs: consumer.ack_delay_ms ?? c.ackDelayMs,
      },
    };
  },
).superRefine((nats, ctx) => {
  if (nats.stream.duplicateWindowSeconds > nats.stream.maxAgeSeconds) {
    ctx.addIssue({
      code: "custom",
      path: ["stream", "duplicate_window_seconds"],
      message: `expected at most max_age_seconds (${nats.stream.maxAgeSeconds}), got ` +
        `${nats.stream.duplicateWindowSeconds}`,
    });
  }
});

/** The schema of the whole file: raw JSON in, {@linkcode ObserverConfig} out. */
const observerConfigSchema: z.ZodType<ObserverConfig, unknown> = z.strictObject({
  $schema: z.string().optional(),
  nats: natsBlockSchema.optional(),
  sinks: z.array(sinkSchema, { error: "expected a list of sinks" }).min(1, {
    error: "expected at least one sink",
  }),
}, { error: 'expected a configuration object with "sinks"' }).superRefine((config, ctx) => {
  const names = new Map<string, number>();
  const files = new Map<string, number>();
  let queueBytes = 0;
  config.sinks.forEach((raw, i) => {
    const sink = toSinkConfig(raw, i);
    const earlier = names.get(sink.name);
    if (earlier !== undefined && raw.name !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["sinks", i, "name"],
        message: `expected a name no other sink has (sinks[${earlier}] is also ${
          JSON.stringify(sink.name)
        }; name one of them)`,
      });
    }
    names.set(sink.name, i);
    if (sink.type === "jsonl") {
      const other = files.get(sink.file);
      if (other !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["sinks", i, "file"],
          message: `expected a file no other sink writes (sinks[${other}] writes it too)`,
        });
      }
      files.set(sink.file, i);
    }
    queueBytes += raw.queue_bytes ?? SINK_DEFAULTS.maxQueueBytes;
  });
  if (queueBytes > MAX_TOTAL_QUEUE_BYTES) {
    ctx.addIssue({
      code: "custom",
      path: ["sinks"],
      message: `expected queues of at most ${MAX_TOTAL_QUEUE_BYTES} bytes together (the tasks ` +
        `cap the V8 heap at 128 MB; queue_bytes defaults to ${SINK_DEFAULTS.maxQueueBytes}), got ${queueBytes}`,
    });
  }
}).transform((config) => ({
  sinks: config.sinks.map(toSinkConfig),
  ...(config.nats === undefined ? {} : { nats: config.nats }),
}));

/**
 * Validates a parsed configuration file: the typed configuration, or one line per problem
 * (`sinks[2].sample.every: expected a positive integer, got 0 (number)`).
 *
 * @example
 * ```ts
 * import { validateConfig } from "./config_schema.ts";
 * validateConfig({ sinks: [] }); // => ["sinks: expected at least one sink, got [] (array)"]
 * ```
 */
export function validateConfig(input: unknown): ObserverConfig | string[] {
  const result = observerConfigSchema.safeParse(input);
  return result.success ? result.data : schemaProblems(result.error.issues, input);
}
