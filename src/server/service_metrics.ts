/**
 * The service's Prometheus metrics (`GET /metrics`, text format, via `npm:prom-client`): records
 * by outcome, per-sink written / dropped / failed / filtered / sampled and failing state, dead
 * letters, HTTP requests by route and status. Counters are read from the pipeline when scraped,
 * so they always agree with `/v1/status` and the summary.
 *
 * @module
 */

import client from "prom-client";
import type { Pipeline } from "../app/pipeline.ts";

/** The metrics of one service. */
export interface ServiceMetrics {
  /** Counts one HTTP request. */
  countRequest(route: string, status: number): void;
  /** The text exposition (Prometheus format 0.0.4). */
  render(): Promise<string>;
  /** The content type of {@linkcode ServiceMetrics.render}'s text. */
  readonly contentType: string;
}

/**
 * Metrics over `pipeline`; `rejected` gives the lines that were not snapshots so far.
 *
 * @example
 * ```ts
 * import { serviceMetrics } from "./service_metrics.ts";
 * import type { Pipeline } from "../app/pipeline.ts";
 * declare const pipeline: Pipeline;
 * const metrics = serviceMetrics(pipeline, () => 0);
 * await metrics.render(); // "# HELP qts_snapshots_total ..."
 * ```
 */
export function serviceMetrics(pipeline: Pipeline, rejected: () => number): ServiceMetrics {
  const registry = new client.Registry();
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
      this.inc({ outcome: "rejected" }, rejected());
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
  new client.Counter({
    name: "qts_dead_letters_total",
    help: "Entries handed to the dead-letter file (rejected lines and blocked snapshots)",
    registers: [registry],
    collect() {
      this.reset();
      this.inc(pipeline.deadLetters.stats().entries);
    },
  });
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
