/**
 * The configuration file's schema (zod): where records go (`sinks`), and for each sink which
 * records (`filter`) and how many of them (`sample`). The schema turns the file's snake_case
 * JSON into typed sink descriptions, or into issues that name the path of every problem.
 *
 * @module
 */

import { z } from "zod";
import { describeValue } from "../contract/json_value.ts";
import { printable } from "../io/printable.ts";
import { checkUserRecordFileName } from "../paths.ts";
import {
  MAX_TOTAL_QUEUE_BYTES,
  type QueueTuning,
  WHEN_FULL_POLICIES,
} from "../sinks/batching_queue.ts";
import {
  FSYNC_POLICIES,
  type JsonlFileSinkTuning,
  SINK_DEFAULTS,
} from "../sinks/jsonl_file_sink.ts";
import {
  type FieldCondition,
  filterPatternChars,
  MAX_FILTER_PATTERN_CHARS,
  MAX_PATTERN_LENGTH,
  MAX_PATTERNS_PER_CONDITION,
  parseFieldCondition,
  type RecordFilterSpec,
} from "../sinks/record_filter.ts";
import { type RecordSampleSpec, SAMPLE_KEYS } from "../sinks/record_sampler.ts";
import { natsEndpoint } from "../nats/servers.ts";
import {
  DEFAULT_SUBJECT_PREFIX,
  NATS_PAYLOADS,
  type NatsPayload,
  SUBJECT_PREFIX_PATTERN,
} from "../nats/subjects.ts";
import {
  NATS_CONSUMER_DEFAULTS,
  NATS_PUBLISH_DEFAULTS,
  NATS_RETENTIONS,
  NATS_STORAGES,
  NATS_STREAM_DEFAULTS,
  type NatsConsumerSettings,
  type NatsStreamSettings,
} from "../nats/settings.ts";
import {
  DEFAULT_POSTGRES_TABLE,
  maskPassword,
  POSTGRES_TABLE_PATTERN,
  POSTGRES_TLS_MODES,
  postgresEndpoint,
  type PostgresTls,
} from "../sinks/postgres_table.ts";

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

/** A PostgreSQL table. */
export interface PostgresSinkConfig extends SinkConfigBase {
  /** Sink kind. */
  readonly type: "postgres";
  /** The connection URL, when the file gives it. */
  readonly url?: string;
  /** The environment variable holding the URL, when the file names one instead. */
  readonly urlEnv?: string;
  /** Table written (created when missing). */
  readonly table: string;
  /** TLS mode. */
  readonly tls: PostgresTls;
  /** Queue settings. */
  readonly tuning: QueueTuning;
}

/** A NATS JetStream publisher of records or snapshots. */
export interface NatsSinkConfig extends SinkConfigBase {
  /** Sink kind. */
  readonly type: "nats";
  /** `nats://host:port` of the servers (any of them will do). */
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
export interface NatsConfig {
  /** `nats://host:port` of the servers (any of them will do). */
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

const positiveInt = (what = "a positive integer") =>
  z.number({ error: `expected ${what}` }).int({ error: `expected ${what}` }).positive({
    error: `expected ${what}`,
  });

const text = z.string({ error: "expected a text" }).min(1, { error: "expected a non-empty text" });

const pattern = text.max(MAX_PATTERN_LENGTH, {
  error: `expected a text of at most ${MAX_PATTERN_LENGTH} characters`,
});

const textMatch = z.union([
  pattern,
  z.array(pattern).min(1, { error: "expected at least one text" }),
], {
  error: "expected a text or a list of texts",
}).refine((match) => typeof match === "string" || match.length <= MAX_PATTERNS_PER_CONDITION, {
  error: `expected at most ${MAX_PATTERNS_PER_CONDITION} texts`,
});

const conditions = z.union([text, z.array(text)], {
  error: 'expected a condition such as "inputs.volume >= 1000", or a list of them',
}).transform((value, ctx): FieldCondition[] => {
  const list = typeof value === "string" ? [value] : value;
  const parsed: FieldCondition[] = [];
  list.forEach((item, i) => {
    const condition = parseFieldCondition(item);
    if ("error" in condition) {
      ctx.addIssue({
        code: "custom",
        message: condition.error,
        path: typeof value === "string" ? [] : [i],
      });
    } else {
      parsed.push(condition);
    }
  });
  return parsed;
});

const guardError = 'expected "PASS" or "BLOCK", or a list of them';
const guardAction = z.enum(["PASS", "BLOCK"], { error: guardError });

const filterSchema: z.ZodType<RecordFilterSpec, unknown> = z.lazy(() =>
  z.strictObject({
    source: textMatch.optional(),
    stage: textMatch.optional(),
    symbol: textMatch.optional(),
    market: textMatch.optional(),
    session: textMatch.optional(),
    guard: z.union([guardAction, z.array(guardAction).min(1, { error: guardError })], {
      error: guardError,
    }).optional(),
    quality_flag: textMatch.optional(),
    hint: textMatch.optional(),
    where: conditions.optional(),
    all: z.array(filterSchema).min(1, { error: "expected at least one filter" }).optional(),
    any: z.array(filterSchema).min(1, { error: "expected at least one filter" }).optional(),
    not: filterSchema.optional(),
  }, { error: "expected a filter object" })
);

/** A filter whose globs hold at most {@linkcode MAX_FILTER_PATTERN_CHARS} characters in all. */
const boundedFilterSchema = filterSchema.refine(
  (spec) => filterPatternChars(spec) <= MAX_FILTER_PATTERN_CHARS,
  { error: `expected globs of at most ${MAX_FILTER_PATTERN_CHARS} characters in all` },
);

const sampleSchema = z.strictObject({
  probability: z.number({ error: "expected a number in (0, 1]" }).gt(0, {
    error: "expected a number in (0, 1]",
  }).lte(1, { error: "expected a number in (0, 1]" }).optional(),
  every: positiveInt().optional(),
  per_second: positiveInt().optional(),
  key: z.enum(SAMPLE_KEYS, { error: `expected one of ${SAMPLE_KEYS.join(", ")}` }).optional(),
}, { error: "expected a sample object" }).refine(
  (s) => s.probability !== undefined || s.every !== undefined || s.per_second !== undefined,
  { error: "expected at least one of probability, every, per_second" },
);

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
  tls: z.enum(POSTGRES_TLS_MODES, { error: `expected one of ${POSTGRES_TLS_MODES.join(", ")}` })
    .optional(),
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
});

const natsServers = z.union(
  [text, z.array(text).min(1, { error: "expected at least one server" })],
  {
    error: "expected a nats://host:port URL or a list of them",
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
      tls: raw.tls ?? "disable",
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

/** True for a URL with a password in it. */
function hasPassword(text: string): boolean {
  return URL.canParse(text) && new URL(text).password !== "";
}

/**
 * Formats a field path as people write it: `sinks[2].sample.every`.
 *
 * @example
 * ```ts
 * import { formatPath } from "./config_schema.ts";
 * formatPath(["sinks", 2, "sample", "every"]); // => "sinks[2].sample.every"
 * ```
 */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out === "" ? "(top level)" : out;
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let at = value;
  for (const key of path) {
    if (typeof at !== "object" || at === null || !Object.hasOwn(at, key)) return undefined;
    at = (at as Record<PropertyKey, unknown>)[key];
  }
  return at;
}

function schemaProblems(issues: readonly z.core.$ZodIssue[], input: unknown): string[] {
  const problems: string[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        problems.push(
          `${formatPath([...issue.path, key])}: expected no such field (unknown key ${
            JSON.stringify(printable(key))
          })`,
        );
      }
      continue;
    }
    const message = issue.code === "invalid_union" && "discriminator" in issue
      ? `expected "${issue.discriminator}" one of ${
        (issue as { options?: unknown[] }).options?.map((o) => JSON.stringify(o)).join(", ")
      }`
      : issue.message;
    const value = valueAt(input, issue.path);
    // A URL may hold a password (a PostgreSQL or NATS URL): it is never echoed whole.
    const shown = typeof value === "string" && hasPassword(value)
      ? `${JSON.stringify(printable(maskPassword(value)))} (string)`
      : describeValue(value);
    const got = message.includes(", got ") ? "" : `, got ${shown}`;
    problems.push(`${formatPath(issue.path)}: ${message}${got}`);
  }
  return problems;
}

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

/**
 * Fills in the URL of every `postgres` sink that names an environment variable (`url_env`), read
 * through `readEnv` (the caller owns the environment). Returns the configuration, or one
 * problem per variable that is unset or cannot be read.
 *
 * @example
 * ```ts
 * import { resolveConnectionUrls, type ObserverConfig } from "./config_schema.ts";
 * declare const config: ObserverConfig;
 * resolveConnectionUrls(config, (name) => name === "QTS_PG" ? "postgres://db/qts" : undefined);
 * ```
 */
export function resolveConnectionUrls(
  config: ObserverConfig,
  readEnv: (name: string) => string | undefined,
): ObserverConfig | string[] {
  const problems: string[] = [];
  const sinks = config.sinks.map((sink, i) => {
    if (sink.type !== "postgres" || sink.url !== undefined || sink.urlEnv === undefined) {
      return sink;
    }
    let url: string | undefined;
    try {
      url = readEnv(sink.urlEnv);
    } catch (error) {
      problems.push(`sinks[${i}].url_env: cannot read ${sink.urlEnv}: ${(error as Error).message}`);
      return sink;
    }
    if (url === undefined || url === "") {
      problems.push(
        `sinks[${i}].url_env: expected the environment variable ${sink.urlEnv} to hold a ` +
          "postgres:// URL, got nothing (unset)",
      );
      return sink;
    }
    try {
      postgresEndpoint(url);
    } catch {
      problems.push(
        `sinks[${i}].url_env: expected ${sink.urlEnv} to hold a postgres:// URL, got something else`,
      );
      return sink;
    }
    return { ...sink, url };
  });
  return problems.length > 0 ? problems : { ...config, sinks };
}

/**
 * Validates a filter given outside a configuration file (the stream's query parameters): the
 * typed filter, or one line per problem, paths relative to the filter.
 *
 * @example
 * ```ts
 * import { validateFilter } from "./config_schema.ts";
 * validateFilter({ symbol: "0*", where: "inputs.volume >= 10" });
 * ```
 */
export function validateFilter(input: unknown): RecordFilterSpec | string[] {
  const result = boundedFilterSchema.safeParse(input);
  return result.success ? result.data : schemaProblems(result.error.issues, input);
}
