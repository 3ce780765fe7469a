/**
 * `GET /healthz` (200 while the process runs) and `GET /readyz` (200, or 503 naming the failing
 * sinks and why): open, and answered whatever the `Host`.
 *
 * @module
 */

import { json } from "../http_answers.ts";
import { type ServiceContext, sinkSummaries } from "../service_context.ts";
import type { Route } from "./route_table.ts";

/**
 * The health routes.
 *
 * @example
 * ```ts
 * import { healthRoutes } from "./health.ts";
 * import type { ServiceContext } from "../service_context.ts";
 * declare const context: ServiceContext;
 * const routes = healthRoutes(context);
 * ```
 */
export function healthRoutes(context: ServiceContext): Route[] {
  const methods = ["GET", "HEAD"];
  return [
    {
      path: "/healthz",
      methods,
      open: true,
      anyHost: true,
      handle: () => json(200, { ok: true }),
    },
    {
      path: "/readyz",
      methods,
      open: true,
      anyHost: true,
      handle: () => {
        const failing = sinkSummaries(context.pipeline).filter((s) => s.failing);
        if (failing.length === 0) return json(200, { ready: true });
        return json(503, {
          ready: false,
          reasons: failing.map((s) => `${s.name}: ${s.failure ?? "failing"}`),
        });
      },
    },
  ];
}
