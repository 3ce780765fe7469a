/**
 * The followers of a recording's log: opened from the configuration's network sinks, run beside
 * the recording (or by `observer.ts follow`), and at the end given until a deadline to deliver
 * what the log holds.
 *
 * @module
 */

import type { NatsSinkConfig, PostgresSinkConfig } from "../config/config_schema.ts";
import { requireNatsAccess } from "../nats/servers.ts";
import { Follower, type FollowerSummary } from "../follow/follower.ts";
import type { LogLocation } from "../follow/log_files.ts";
import { delay } from "../io/delay.ts";
import { getObserverLogger } from "../log/logging.ts";
import { compileFilter } from "../sinks/record_filter.ts";
import { postgresEndpoint } from "../sinks/postgres_table.ts";
import type { BatchDestination } from "../sinks/sink.ts";
import { requireNetAccess } from "../io/net_access.ts";
import type { SinkSummary } from "./run_summary.ts";
import type { FollowerSinkConfig } from "./recording_log.ts";

/**
 * How long a run from a file input waits at its end for its followers, by default: 60 s rides
 * out a database restart or a broker's leader election (seconds to tens of seconds) without
 * keeping a scripted replay waiting long for a destination that is really gone; past it the run
 * exits 1 and says how to finish (`observer.ts follow`).
 */
export const DEFAULT_FOLLOW_TIMEOUT_SECONDS = 60;

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
  return new PostgresWriter({
    url: config.url,
    table: config.table,
    tls: config.tls,
    name: config.name,
    logger: getObserverLogger("sink"),
  });
}

/** The destination of a nats sink description (checks the fence, loads the client). */
async function openNatsDestination(config: NatsSinkConfig): Promise<BatchDestination> {
  await requireNatsAccess(`sink ${config.name}`, config.servers);
  const { NatsWriter } = await import("../nats/nats_writer.ts");
  return new NatsWriter({
    servers: config.servers,
    name: config.name,
    payload: config.payload,
    subjectPrefix: config.subjectPrefix,
    ackWindow: config.ackWindow,
    ackTimeoutMs: config.ackTimeoutMs,
    logger: getObserverLogger("sink"),
  });
}

/**
 * Opens a follower for each description (its destination, its lock, its checkpoint) and starts
 * it. When one cannot be opened, those already open are closed and the error is thrown.
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
): Promise<Follower[]> {
  const followers: Follower[] = [];
  try {
    for (const config of configs) {
      const destination = config.type === "postgres"
        ? await openPostgresDestination(config)
        : await openNatsDestination(config);
      try {
        followers.push(
          await Follower.open({
            name: config.name,
            log,
            destination,
            filter: config.filter === undefined ? undefined : compileFilter(config.filter),
            sample: config.sample,
            chunkBytes: config.tuning.flushBytes,
            logger: getObserverLogger("follow"),
          }),
        );
      } catch (error) {
        await destination.close();
        throw error;
      }
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
 * import type { Follower } from "../follow/follower.ts";
 * declare const followers: Follower[];
 * const summaries = await finishFollowers(followers, "observer", 60_000);
 * summaries.every((f) => f.lag.bytes === 0); // caught up
 * ```
 */
export async function finishFollowers(
  followers: readonly Follower[],
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
 * import type { FollowerSummary } from "../follow/follower.ts";
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
