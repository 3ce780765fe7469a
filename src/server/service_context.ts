/**
 * What the service's routes share: the pipeline, the limits, the live streams (from memory and
 * from the record file), the request counters, and readings for status and metrics.
 *
 * @module
 */

import type { Pipeline } from "../app/pipeline.ts";
import type { Logger } from "../log/logging.ts";
import type { ConnectionStats } from "./connection_guard.ts";
import type { RecordFileStream } from "./record_file_stream.ts";
import type { RecordStreamHub, StreamHubStats } from "./record_stream_hub.ts";
import type { SelectedSinkStats } from "../sinks/selected_sink.ts";
import type { ServerLimits } from "./server_limits.ts";

/** The service's own counters: lines rejected, requests by route and status. */
export class ServiceCounters {
  /** Lines that were not snapshots, over all requests. */
  rejected = 0;
  /** Requests by `"<route> <status>"`. */
  readonly requests: Map<string, number> = new Map();

  /** Counts one request answered. */
  count(route: string, status: number): void {
    const key = `${route} ${status}`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
  }
}

/** What the routes of one service share. */
export interface ServiceContext {
  /** The open pipeline records go into. */
  readonly pipeline: Pipeline;
  /** The service's limits. */
  readonly limits: ServerLimits;
  /** Where request errors go. */
  readonly logger: Logger;
  /** The clock, in ms. */
  readonly now: () => number;
  /** When the service started, by `now`. */
  readonly startedAt: number;
  /** The stream of records as accepted, from memory. */
  readonly hub: RecordStreamHub;
  /** The stream of records as written, from the record file that takes every record, if any. */
  readonly fileStream: RecordFileStream | undefined;
  /** The service's counters. */
  readonly counters: ServiceCounters;
  /** The connection guard's counters. */
  connections(): ConnectionStats;
  /** Cuts the connection of the client at `peer` (`host:port`), if it is open. */
  disconnect(peer: string): void;
}

/**
 * Both streams' counters together.
 *
 * @example
 * ```ts
 * import { streamStats, type ServiceContext } from "./service_context.ts";
 * declare const context: ServiceContext;
 * streamStats(context).subscribers;
 * ```
 */
export function streamStats(context: ServiceContext): StreamHubStats {
  const a = context.hub.streamStats();
  const b = context.fileStream?.streamStats() ?? { subscribers: 0, slowDisconnects: 0, events: 0 };
  return {
    subscribers: a.subscribers + b.subscribers,
    slowDisconnects: a.slowDisconnects + b.slowDisconnects,
    events: a.events + b.events,
  };
}

/** A sink's name, type, file (JSONL sinks) and counters. */
export type SinkSummary = SelectedSinkStats & {
  readonly name: string;
  readonly type: string;
  readonly path?: string;
};

/**
 * Each sink's name, type, file and counters.
 *
 * @example
 * ```ts
 * import { sinkSummaries } from "./service_context.ts";
 * import type { Pipeline } from "../app/pipeline.ts";
 * declare const pipeline: Pipeline;
 * sinkSummaries(pipeline).filter((s) => s.failing);
 * ```
 */
export function sinkSummaries(pipeline: Pipeline): SinkSummary[] {
  return pipeline.sinks.map(({ config, sink, path }) => ({
    name: config.name,
    type: config.type,
    path: path?.(),
    ...sink.stats(),
  }));
}
