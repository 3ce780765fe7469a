/**
 * The followers of a recording's log: opened from the configuration's network sinks, run beside
 * the recording (or by `observer.ts follow`), and at the end given until a deadline to deliver
 * what the log holds.
 *
 * @module
 */

import type { NatsSinkConfig, PostgresSinkConfig } from "../config/config_types.ts";
import { requireNatsAccess } from "../nats/servers.ts";
import type { FollowerSummary, RunningFollower } from "../follow/follower_types.ts";
import type { FollowerParts } from "../follow/follower_worker_host.ts";
import { WorkerFollower } from "../follow/worker_follower.ts";
import type { LogLocation } from "../follow/log_files.ts";
import { delay } from "../io/delay.ts";
import { getObserverLogger } from "../log/logging.ts";
import { compileFilter } from "../sinks/record_filter.ts";
import { POSTGRES_SINK_DEFAULTS, postgresEndpoint } from "../sinks/postgres_table.ts";
import { NATS_SINK_DEFAULTS } from "../nats/settings.ts";
import type { BatchDestination } from "../sinks/sink.ts";
import { requireNetAccess } from "../io/net_access.ts";
import type { SinkSummary } from "./run_summary.ts";
import type { FollowerSinkConfig } from "./recording_log.ts";
import { sendableFollowerConfig } from "./follower_worker_config.ts";

export { DEFAULT_FOLLOW_TIMEOUT_SECONDS } from "./follower_defaults.ts";

/** The destination of a postgres sink description (checks the fence, loads the client). */
async function openPostgresDestination(config: PostgresSinkConfig): Promise<BatchDestination> {
  if (config.url === undefined) {
    throw new Error(
      `sink ${config.name}: expected a connection URL (url, or url_env resolved by the caller)`,
    );
  }
  const { host, port } = postgresEndpoint(config.url);
  await requireNetAccess(
    `sink ${config.name}`,
    "PostgreSQL",
    host,
    port,
    "127.0.0.1:5432,localhost:5432",
  );
  const { PostgresWriter } = await import("../sinks/postgres_writer.ts");
  const writer = new PostgresWriter({
    ...config,
    url: config.url,
    logger: getObserverLogger("sink"),
  });
  // A refused login or an untrusted certificate stops the run here (exit 2); an outage does not.
  try {
    await writer.checkStart();
  } catch (error) {
    await writer.close();
    throw new Error(`sink ${config.name}: ${(error as Error).message}`, { cause: error });
  }
  return writer;
}

/** The destination of a nats sink description (checks the fence, loads the client). */
async function openNatsDestination(config: NatsSinkConfig): Promise<BatchDestination> {
  await requireNatsAccess(`sink ${config.name}`, config.servers);
  if (config.security !== undefined && config.credentials === undefined) {
    throw new Error(
      `sink ${config.name}: expected its auth and tls secrets to be read with the configuration ` +
        "(resolveConnectionUrls), got none",
    );
  }
  // Refused credentials or certificates stop the run here (exit 2); an outage does not.
  const { checkNatsLogin } = await import("../nats/connect.ts");
  try {
    await checkNatsLogin({
      servers: config.servers,
      name: `qts:${config.name}`,
      timeout: 5000,
      credentials: config.credentials,
    });
  } catch (error) {
    throw new Error(`sink ${config.name}: ${(error as Error).message}`, { cause: error });
  }
  const { NatsWriter } = await import("../nats/nats_writer.ts");
  return new NatsWriter({
    servers: config.servers,
    credentials: config.credentials,
    name: config.name,
    payload: config.payload,
    subjectPrefix: config.subjectPrefix,
    ackWindow: config.ackWindow,
    ackTimeoutMs: config.ackTimeoutMs,
    logger: getObserverLogger("sink"),
  });
}

/**
 * What a follower of `config` is made of (its destination opened: the fence checked, the client
 * loaded, a PostgreSQL login checked), on the thread that runs it: its worker.
 *
 * @example
 * ```ts
 * import { followerParts } from "./followers.ts";
 * import type { FollowerSinkConfig } from "./recording_log.ts";
 * declare const config: FollowerSinkConfig;
 * const { destination } = await followerParts(config);
 * await destination.close();
 * ```
 */
export async function followerParts(config: FollowerSinkConfig): Promise<FollowerParts> {
  const defaults = config.type === "postgres" ? POSTGRES_SINK_DEFAULTS : NATS_SINK_DEFAULTS;
  const destination = config.type === "postgres"
    ? await openPostgresDestination(config)
    : await openNatsDestination(config);
  return {
    name: config.name,
    destination,
    filter: config.filter === undefined ? undefined : compileFilter(config.filter),
    sample: config.sample,
    chunkBytes: config.tuning.flushBytes ?? defaults.flushBytes,
    flushIntervalMs: config.tuning.flushIntervalMs ?? defaults.flushIntervalMs,
  };
}

/** The module each follower's worker runs. */
const FOLLOWER_WORKER = new URL("./follower_worker.ts", import.meta.url);

/** Where {@linkcode openFollowers} runs the followers. */
export interface OpenFollowersOptions {
  /**
   * True: each on this thread, for a process that does nothing else (`observer.ts follow`),
   * sparing a worker's start (a second isolate loading logging, the follower and the
   * destination's client again). False (the default): each in a worker of its own, off the
   * recording's thread.
   */
  readonly onThisThread?: boolean;
}

/** A follower of `config` opened on this thread; its destination closed if it cannot start. */
async function openFollowerHere(
  config: FollowerSinkConfig,
  log: LogLocation,
): Promise<RunningFollower> {
  const { Follower } = await import("../follow/follower.ts");
  const parts = await followerParts(config);
  try {
    return await Follower.open({ ...parts, log, logger: getObserverLogger("follow") });
  } catch (error) {
    await parts.destination.close();
    throw error;
  }
}

/**
 * Opens a follower for each description and starts it: each in a worker of its own (a second
 * core: reading the log back, parsing, filtering, the destination's client and the checkpoint
 * writes are off the recording's thread), or on this thread with `options.onThisThread`. When
 * one cannot be opened, those already open are closed and the error is thrown.
 *
 * @example
 * ```ts
 * import { openFollowers } from "./followers.ts";
 * import type { FollowerSinkConfig } from "./recording_log.ts";
 * declare const configs: FollowerSinkConfig[];
 * const dir = await Deno.makeTempDir();
 * const followers = await openFollowers(configs, { dir, base: "observer" });
 * ```
 */
export async function openFollowers(
  configs: readonly FollowerSinkConfig[],
  log: LogLocation,
  options: OpenFollowersOptions = {},
): Promise<RunningFollower[]> {
  const followers: RunningFollower[] = [];
  try {
    for (const config of configs) {
      followers.push(
        options.onThisThread
          ? await openFollowerHere(config, log)
          : await WorkerFollower.open(FOLLOWER_WORKER, sendableFollowerConfig(config), log),
      );
    }
  } catch (error) {
    for (const follower of followers) await follower.close();
    throw error;
  }
  for (const follower of followers) void follower.run();
  return followers;
}

/**
 * Says the log is complete, waits up to `timeoutMs` (or until `signal` aborts) for every
 * follower to deliver all of it, stops the ones still behind (their checkpoints stay where their
 * destinations acknowledged), measures where each stopped and closes them.
 *
 * @example
 * ```ts
 * import { finishFollowers } from "./followers.ts";
 * import type { RunningFollower } from "../follow/follower_types.ts";
 * declare const followers: RunningFollower[];
 * const summaries = await finishFollowers(followers, "observer", 60_000);
 * summaries.every((f) => f.lag.bytes === 0); // caught up
 * ```
 */
export async function finishFollowers(
  followers: readonly RunningFollower[],
  log: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<FollowerSummary[]> {
  for (const follower of followers) follower.finish();
  const deadline = new AbortController();
  const all = Promise.all(followers.map((f) => f.run())).then(() => deadline.abort());
  await delay(
    timeoutMs,
    signal === undefined ? deadline.signal : AbortSignal.any([
      deadline.signal,
      signal,
    ]),
  );
  deadline.abort();
  const summaries: FollowerSummary[] = [];
  for (const follower of followers) {
    await follower.stop();
    summaries.push({ ...follower.stats(), lag: await follower.lag(), log });
    await follower.close();
  }
  await all;
  return summaries;
}

/**
 * A follower as one sink of the run summary: written = delivered in this process, not written =
 * refused for content, `follower` = where it stopped.
 *
 * @example
 * ```ts
 * import { followerSinkSummary } from "./followers.ts";
 * import type { FollowerSummary } from "../follow/follower_types.ts";
 * declare const follower: FollowerSummary;
 * followerSinkSummary(follower, "postgres").written; // records delivered
 * ```
 */
export function followerSinkSummary(follower: FollowerSummary, type: string): SinkSummary {
  return {
    name: follower.name,
    type,
    selective: follower.filtered > 0 || follower.sampled > 0,
    written: follower.delivered,
    dropped: 0,
    failed: follower.refused,
    failure: follower.lastError,
    failing: follower.state === "failing",
    filtered: follower.filtered,
    sampled: follower.sampled,
    follower,
  };
}
