/**
 * The service's routes as a table: each route names its path, the methods it answers, whether
 * it needs the token and whether the `Host` is checked, and its handler. The table answers a
 * request: the checks first (foreign `Host` or origin: 421/403; token: 401), then 404 for a path
 * it does not know, 405 for a method the route does not answer, else the handler.
 *
 * @module
 */

import { problem } from "../http_answers.ts";

/** One route of the service. */
export interface Route {
  /** Its path (also its name in the request counters). */
  readonly path: string;
  /** The methods it answers; the first is named in a 405 answer, all in its `Allow`. */
  readonly methods: readonly string[];
  /** Answered without the token when one is set. Default: false. */
  readonly open?: boolean;
  /** Answered whatever the `Host` (health checks of a proxy, say). Default: false. */
  readonly anyHost?: boolean;
  /** Answers a request; `remote` is the client's address. */
  handle(request: Request, remote: string): Response | Promise<Response>;
}

/** The checks a request passes before its route answers. */
export interface RouteChecks {
  /** The answer to a request from a foreign site (no token set), or undefined. */
  foreign(request: Request): Response | undefined;
  /** The answer to a request without the token (one set), or undefined. */
  unauthorized(request: Request): Promise<Response | undefined>;
}

/** The name of a request for a path no route has, in the request counters. */
export const OTHER_ROUTE = "(other)";

/**
 * The routes, by path.
 *
 * @example
 * ```ts
 * import { RouteTable } from "./route_table.ts";
 * const table = new RouteTable([
 *   { path: "/healthz", methods: ["GET", "HEAD"], open: true, handle: () => new Response("ok") },
 * ], { foreign: () => undefined, unauthorized: () => Promise.resolve(undefined) });
 * const [name, response] = await table.answer(new Request("http://x/healthz"), "127.0.0.1:1");
 * ```
 */
export class RouteTable {
  readonly #routes = new Map<string, Route>();
  readonly #checks: RouteChecks;

  /** A table of `routes` (one per path) behind `checks`. */
  constructor(routes: readonly Route[], checks: RouteChecks) {
    for (const route of routes) {
      if (this.#routes.has(route.path)) throw new Error(`two routes for ${route.path}`);
      this.#routes.set(route.path, route);
    }
    this.#checks = checks;
  }

  /** The request's route name (its path, or {@linkcode OTHER_ROUTE}) and its answer. */
  async answer(request: Request, remote: string): Promise<[string, Response]> {
    const { pathname } = new URL(request.url);
    const route = this.#routes.get(pathname);
    const name = route?.path ?? OTHER_ROUTE;
    if (route?.anyHost !== true) {
      const refused = this.#checks.foreign(request);
      if (refused !== undefined) return [name, refused];
    }
    if (route === undefined) {
      return [name, problem(404, `no such route: ${request.method} ${pathname}`)];
    }
    if (route.open !== true) {
      const denied = await this.#checks.unauthorized(request);
      if (denied !== undefined) return [name, denied];
    }
    if (!route.methods.includes(request.method)) {
      return [
        name,
        problem(405, `expected ${route.methods[0]}`, { allow: route.methods.join(", ") }),
      ];
    }
    return [name, await route.handle(request, remote)];
  }
}
