/**
 * `GET /metrics`: the Prometheus text format; needs the token unless `--open-metrics`.
 *
 * @module
 */

import type { ServiceMetrics } from "../service_metrics.ts";
import type { Route } from "./route_table.ts";

/**
 * The metrics route over `metrics`; `open` leaves it open when a token is set.
 *
 * @example
 * ```ts
 * import { metricsRoute } from "./metrics.ts";
 * import type { ServiceMetrics } from "../service_metrics.ts";
 * declare const metrics: ServiceMetrics;
 * const route = metricsRoute(metrics, false);
 * ```
 */
export function metricsRoute(metrics: ServiceMetrics, open: boolean): Route {
  return {
    path: "/metrics",
    methods: ["GET", "HEAD"],
    open,
    handle: async () =>
      new Response(await metrics.render(), { headers: { "content-type": metrics.contentType } }),
  };
}
