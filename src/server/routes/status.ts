/**
 * `GET /v1/status`: version, uptime, the Observer's counters, every sink's, the followers of the
 * log (state, delivery, lag), dead letters, requests by route and status, the streams' and the
 * connections' counters.
 *
 * @module
 */

import { OBSERVER_VERSION } from "../../contract/snapshot.ts";
import type { Pipeline } from "../../app/pipeline.ts";
import { json } from "../http_answers.ts";
import { type ServiceContext, sinkSummaries, streamStats } from "../service_context.ts";
import type { Route } from "./route_table.ts";

/** The followers of the log: state, delivery and lag (lines counted up to 16 MiB behind). */
function followerStatus(pipeline: Pipeline) {
  return Promise.all(pipeline.followers.map(async (follower) => {
    const stats = follower.stats();
    const lag = await follower.lag(16 * 1024 * 1024);
    return {
      name: stats.name,
      destination: stats.destination,
      state: stats.state,
      last_error: stats.lastError,
      delivered: stats.delivered,
      refused: stats.refused,
      filtered: stats.filtered,
      sampled: stats.sampled,
      behind_records: lag.records,
      behind_bytes: lag.bytes,
      behind_seconds: lag.wallSeconds,
      position: stats.position,
    };
  }));
}

/**
 * The status route.
 *
 * @example
 * ```ts
 * import { statusRoute } from "./status.ts";
 * import type { ServiceContext } from "../service_context.ts";
 * declare const context: ServiceContext;
 * const route = statusRoute(context);
 * ```
 */
export function statusRoute(context: ServiceContext): Route {
  const { pipeline, startedAt, now, counters } = context;
  return {
    path: "/v1/status",
    methods: ["GET", "HEAD"],
    handle: async () =>
      json(200, {
        followers: await followerStatus(pipeline),
        stream: streamStats(context),
        connections: context.connections(),
        version: OBSERVER_VERSION,
        started_at: new Date(startedAt).toISOString(),
        uptime_seconds: Math.round((now() - startedAt) / 1000),
        observer: pipeline.observer.counters,
        rejected: counters.rejected,
        sinks: sinkSummaries(pipeline),
        dead_letters: pipeline.deadLetters.stats(),
        http: Object.fromEntries(counters.requests),
      }),
  };
}
