/**
 * The service's Prometheus metrics (`GET /metrics`, text format, via `npm:prom-client`): records
 * by outcome, per-sink written / dropped / failed / filtered / sampled, failing state and queued
 * bytes, batch-write and sync durations as histograms, dead letters, HTTP requests by route and
 * status, connections at the door, stream subscribers. Counters are read from the pipeline when
 * scraped, so they always agree with `/v1/status` and the summary.
 *
 * @module
 */

import client from "prom-client";
import type { Pipeline } from "../app/pipeline.ts";
import type { DurationSummary } from "../sinks/duration_histogram.ts";
import type { ConnectionStats } from "./connection_guard.ts";
import type { StreamHubStats } from "./record_stream_hub.ts";

/** What the service reports beside the pipeline. */
export interface ServiceReadings {
  /** Lines that were not snapshots so far. */
  rejected(): number;
  /** The live stream's counters. */
  stream(): StreamHubStats;
  /** The connection guard's counters. */
  connections(): ConnectionStats;
}

/**
 * A histogram whose counts live elsewhere (in the sinks), registered with prom-client as a custom
 * metric: read on each scrape.
 */
function externalHistogram(
  registry: client.Registry,
  name: string,
  help: string,
  read: () => { labels: Record<string, string>; summary: DurationSummary }[],
): void {
  const metric = {
    name,
    help,
    type: "histogram",
    aggregator: "sum",
    get() {
      const values: { metricName: string; labels: Record<string, string>; value: number }[] = [];
      for (const { labels, summary } of read()) {
        let cumulative = 0;
        summary.counts.forEach((n, i) => {
          cumulative += n;
          const le = i < summary.bounds.length ? String(summary.bounds[i]) : "+Inf";
          values.push({
            metricName: `${name}_bucket`,
            labels: { ...labels, le },
            value: cumulative,
          });
        });
        values.push({ metricName: `${name}_sum`, labels, value: summary.sum });
        values.push({ metricName: `${name}_count`, labels, value: summary.count });
      }
      return { name, help, type: "histogram", values, aggregator: "sum" };
    },
  };
  registry.registerMetric(metric as unknown as client.Metric);
}

/** The metrics of one service. */
export interface ServiceMetrics {
  /** Counts one HTTP request. */
  countRequest(route: string, status: number): void;
  /** The text exposition (Prometheus format 0.0.4). */
  render(): Promise<string>;
  /** The content type of {@linkcode ServiceMetrics.render}'s text. */
  readonly contentType: string;
}

/** The records' metrics: by outcome, per sink, and the sinks' write and sync durations. */
function recordMetrics(
  registry: client.Registry,
  pipeline: Pipeline,
  readings: ServiceReadings,
): void {
  new client.Counter({
    name: "qts_snapshots_total",
    help: "Snapshots and lines by outcome: dispatched, blocked_validation, blocked_guard, rejected",
    labelNames: ["outcome"],
    registers: [registry],
    collect() {
      const c = pipeline.observer.counters;
      this.reset();
      this.inc({ outcome: "dispatched" }, c.dispatched);
      this.inc({ outcome: "blocked_validation" }, c.blockedByValidation);
      this.inc({ outcome: "blocked_guard" }, c.blockedByGuard);
      this.inc({ outcome: "rejected" }, readings.rejected());
    },
  });
  new client.Counter({
    name: "qts_sink_records_total",
    help: "Records per sink by outcome: written, dropped, failed (not written), filtered, sampled",
    labelNames: ["sink", "outcome"],
    registers: [registry],
    collect() {
      this.reset();
      for (const { config, sink } of pipeline.sinks) {
        const s = sink.stats();
        for (
          const [outcome, n] of [
            ["written", s.written],
            ["dropped", s.dropped],
            ["failed", s.failed],
            ["filtered", s.filtered],
            ["sampled", s.sampled],
          ] as const
        ) this.inc({ sink: config.name, outcome }, n);
      }
    },
  });
  new client.Gauge({
    name: "qts_sink_failing",
    help: "1 while the sink's destination is failing, else 0",
    labelNames: ["sink"],
    registers: [registry],
    collect() {
      for (const { config, sink } of pipeline.sinks) {
        this.set({ sink: config.name }, sink.stats().failing ? 1 : 0);
      }
    },
  });
  new client.Gauge({
    name: "qts_sink_queued_bytes",
    help: "Bytes accepted by the sink and not yet written (queued and in flight)",
    labelNames: ["sink"],
    registers: [registry],
    collect() {
      for (const { config, sink } of pipeline.sinks) {
        this.set({ sink: config.name }, sink.stats().queuedBytes ?? 0);
      }
    },
  });
  const perSink = (pick: "flushSeconds" | "syncSeconds") => () =>
    pipeline.sinks.flatMap(({ config, sink }) => {
      const summary = sink.stats()[pick];
      return summary === undefined ? [] : [{ labels: { sink: config.name }, summary }];
    });
  externalHistogram(
    registry,
    "qts_sink_flush_seconds",
    "Duration of each batch write of a sink to its destination",
    perSink("flushSeconds"),
  );
  externalHistogram(
    registry,
    "qts_sink_fsync_seconds",
    "Duration of each sync of a file sink to disk (fdatasync)",
    perSink("syncSeconds"),
  );
}

/** The door's and the streams' metrics, and the dead letters. */
function serviceReadingMetrics(
  registry: client.Registry,
  pipeline: Pipeline,
  readings: ServiceReadings,
): void {
  new client.Gauge({
    name: "qts_stream_subscribers",
    help: "Clients reading GET /v1/stream now",
    registers: [registry],
    collect() {
      this.set(readings.stream().subscribers);
    },
  });
  new client.Counter({
    name: "qts_stream_slow_disconnects_total",
    help: "Stream subscribers disconnected because they did not keep up",
    registers: [registry],
    collect() {
      this.reset();
      this.inc(readings.stream().slowDisconnects);
    },
  });
  new client.Gauge({
    name: "qts_http_connections",
    help: "Connections open at the service's door now",
    registers: [registry],
    collect() {
      this.set(readings.connections().open);
    },
  });
  new client.Counter({
    name: "qts_http_connections_closed_total",
    help: "Connections closed at the door: header_timeout (headers too slow), send_timeout (the " +
      "client took no byte of its answer in time), refused (headers too large or too many " +
      "connections)",
    labelNames: ["reason"],
    registers: [registry],
    collect() {
      const c = readings.connections();
      this.reset();
      this.inc({ reason: "header_timeout" }, c.headerTimeouts);
      this.inc({ reason: "send_timeout" }, c.sendTimeouts);
      this.inc({ reason: "refused" }, c.refused);
    },
  });
  new client.Counter({
    name: "qts_dead_letters_total",
    help: "Entries handed to the dead-letter file (rejected lines and blocked snapshots)",
    registers: [registry],
    collect() {
      this.reset();
      this.inc(pipeline.deadLetters.stats().entries);
    },
  });
}

/** The followers of the log: bytes behind, failing, delivered. */
function followerMetrics(registry: client.Registry, pipeline: Pipeline): void {
  new client.Gauge({
    name: "qts_follower_behind_bytes",
    help: "Bytes of the record log a follower (network sink) has not delivered yet",
    labelNames: ["follower"],
    registers: [registry],
    async collect() {
      this.reset();
      for (const follower of pipeline.followers) {
        this.set({ follower: follower.name }, (await follower.lag(0)).bytes);
      }
    },
  });
  new client.Gauge({
    name: "qts_follower_failing",
    help: "1 while a follower's destination is failing (it falls behind and retries), else 0",
    labelNames: ["follower"],
    registers: [registry],
    collect() {
      for (const follower of pipeline.followers) {
        this.set({ follower: follower.name }, follower.stats().state === "failing" ? 1 : 0);
      }
    },
  });
  new client.Counter({
    name: "qts_follower_delivered_total",
    help: "Records a follower delivered to its destination in this process",
    labelNames: ["follower"],
    registers: [registry],
    collect() {
      this.reset();
      for (const follower of pipeline.followers) {
        this.inc({ follower: follower.name }, follower.stats().delivered);
      }
    },
  });
}

/**
 * Metrics over `pipeline` and the service's own `readings`.
 *
 * @example
 * ```ts
 * import { serviceMetrics } from "./service_metrics.ts";
 * import type { Pipeline } from "../app/pipeline.ts";
 * declare const pipeline: Pipeline;
 * import type { ServiceReadings } from "./service_metrics.ts";
 * declare const readings: ServiceReadings;
 * const metrics = serviceMetrics(pipeline, readings);
 * await metrics.render(); // "# HELP qts_snapshots_total ..."
 * ```
 */
export function serviceMetrics(pipeline: Pipeline, readings: ServiceReadings): ServiceMetrics {
  const registry = new client.Registry();
  recordMetrics(registry, pipeline, readings);
  serviceReadingMetrics(registry, pipeline, readings);
  followerMetrics(registry, pipeline);
  const requests = new client.Counter({
    name: "qts_http_requests_total",
    help: "HTTP requests by route and status",
    labelNames: ["route", "status"],
    registers: [registry],
  });
  return {
    countRequest(route, status) {
      requests.inc({ route, status: String(status) });
    },
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}
