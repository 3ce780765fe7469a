/**
 * `GET /`: the live dashboard's page, static and open (it holds no data and reads everything
 * with the token), sent with a Content-Security-Policy and no framing.
 *
 * @module
 */

import { dashboardCsp, dashboardHtml } from "../dashboard_page.ts";
import type { Route } from "./route_table.ts";

/**
 * The dashboard's route.
 *
 * @example
 * ```ts
 * import { dashboardRoute } from "./dashboard.ts";
 * const route = dashboardRoute();
 * ```
 */
export function dashboardRoute(): Route {
  return {
    path: "/",
    methods: ["GET", "HEAD"],
    open: true,
    handle: () =>
      new Response(dashboardHtml(), {
        headers: {
          "content-type": "text/html; charset=utf-8",
          "cache-control": "no-cache",
          "content-security-policy": dashboardCsp(),
          "x-frame-options": "DENY",
          "x-content-type-options": "nosniff",
          "referrer-policy": "no-referrer",
        },
      }),
  };
}
