/**
 * Checks made before a route answers: the bearer token (when one is set), and without one the
 * refusal of what a browser may have been made to send by another site (a foreign `Host`: 421;
 * a write from another origin: 403).
 *
 * @module
 */

import { hasBearerToken } from "./bearer_token.ts";
import { problem } from "./http_answers.ts";

/**
 * The 401 answer when `token` is set and the request does not carry it; undefined when it may
 * go on.
 *
 * @example
 * ```ts
 * import { unauthorized } from "./request_checks.ts";
 * declare const request: Request;
 * const denied = await unauthorized(request, "a-token-of-16-chars");
 * ```
 */
export async function unauthorized(
  request: Request,
  token: string | undefined,
): Promise<Response | undefined> {
  if (token === undefined || await hasBearerToken(request, token)) return;
  return problem(401, "expected Authorization: Bearer <token>", {
    "www-authenticate": 'Bearer realm="qts-observer"',
  });
}

/** The `Host` values of this service and the scheme it is reached by. */
export class OwnHosts {
  readonly #hosts = new Set<string>();
  #scheme = "http";

  /**
   * Takes the address the service listens on: that host, `localhost` and `127.0.0.1`, each with
   * the port (and without it on the scheme's default port).
   */
  listen(hostname: string, port: number, tls: boolean): void {
    this.#scheme = tls ? "https" : "http";
    const listened = hostname.includes(":") ? `[${hostname}]` : hostname;
    for (const name of [listened, "localhost", "127.0.0.1"]) {
      this.#hosts.add(`${name.toLowerCase()}:${port}`);
      if (port === (tls ? 443 : 80)) this.#hosts.add(name.toLowerCase());
    }
  }

  /** True when `host` (lower case) names this service. */
  has(host: string): boolean {
    return this.#hosts.has(host);
  }

  /** True when `origin` is this service's own (its scheme and one of its hosts). */
  isOwnOrigin(origin: string): boolean {
    const prefix = `${this.#scheme}://`;
    return origin.startsWith(prefix) && this.#hosts.has(origin.slice(prefix.length));
  }

  /** The first host, for messages. */
  get first(): string {
    return [...this.#hosts][0] ?? "";
  }
}

/**
 * Without a token, the answer to a request a browser may have been made to send by another
 * site: a `Host` that is not this service's (DNS rebinding: 421), or a write from another origin
 * (403). Undefined when it may go on.
 *
 * @example
 * ```ts
 * import { foreignRequest, OwnHosts } from "./request_checks.ts";
 * declare const request: Request;
 * const own = new OwnHosts();
 * own.listen("127.0.0.1", 8089, false);
 * const refused = foreignRequest(request, own);
 * ```
 */
export function foreignRequest(request: Request, own: OwnHosts): Response | undefined {
  const host = (request.headers.get("host") ?? "").toLowerCase();
  if (!own.has(host)) {
    return problem(
      421,
      `expected Host ${own.first} (or localhost, 127.0.0.1 with the port), got ${
        JSON.stringify(host.slice(0, 100))
      }`,
    );
  }
  if (request.method === "GET" || request.method === "HEAD") return;
  const origin = request.headers.get("origin");
  const site = request.headers.get("sec-fetch-site");
  if (
    site === "cross-site" || site === "same-site" || (origin !== null && !own.isOwnOrigin(origin))
  ) {
    return problem(
      403,
      `expected a request from this service's own origin, got one from ${
        JSON.stringify((origin ?? site ?? "").slice(0, 100))
      }`,
    );
  }
}
