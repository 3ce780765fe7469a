/**
 * NATS server addresses as the configuration and flags give them (`nats://host:port`, or
 * `tls://host:port` for a server that must speak TLS), the network fence for them, and the one
 * set of connection options every NATS client of the project uses (reconnect forever, only to
 * the listed servers).
 *
 * @module
 */

import { requireNetAccess } from "../io/net_access.ts";

/** The port a `nats://` URL without one means. */
export const DEFAULT_NATS_PORT = 4222;

/** What the tasks grant for NATS, as written in deno.json. */
export const TASK_NATS_HOSTS = "127.0.0.1:4222,localhost:4222";

/** One server to connect to. */
export interface NatsEndpoint {
  /** Host name or address. */
  readonly host: string;
  /** TCP port. */
  readonly port: number;
  /** True for a `tls://` URL: the connection must use TLS. */
  readonly tls: boolean;
}

/**
 * The endpoint of a `nats://host[:port]` or `tls://host[:port]` URL (a bare `host:port` is taken
 * as `nats://`). Throws a `RangeError` saying what was expected for anything else; a URL with a
 * user or password in it is refused (credentials go in the configuration's `auth`, read from a
 * file or an environment variable), and the message never repeats the URL's user part.
 *
 * @example
 * ```ts
 * import { natsEndpoint } from "./servers.ts";
 * natsEndpoint("nats://127.0.0.1:4222"); // => { host: "127.0.0.1", port: 4222, tls: false }
 * natsEndpoint("tls://nats.example:4443"); // => { host: "nats.example", port: 4443, tls: true }
 * ```
 */
export function natsEndpoint(server: string): NatsEndpoint {
  const text = server.includes("://") ? server : `nats://${server}`;
  const expected = "expected a nats://host:port or tls://host:port URL";
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new RangeError(`${expected}, got ${JSON.stringify(maskNatsUrl(server))}`);
  }
  if (url.protocol !== "nats:" && url.protocol !== "tls:") {
    throw new RangeError(`${expected}, got ${url.protocol}//...`);
  }
  if (url.username !== "" || url.password !== "") {
    throw new RangeError(
      `${expected} without credentials (a user, password or token goes in auth, read from a ` +
        "file or an environment variable)",
    );
  }
  if (url.hostname === "" || (url.pathname !== "" && url.pathname !== "/")) {
    throw new RangeError(`${expected}, got ${JSON.stringify(server)}`);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  return {
    host,
    port: url.port === "" ? DEFAULT_NATS_PORT : Number(url.port),
    tls: url.protocol === "tls:",
  };
}

/**
 * `text` with the user part of a URL (a user and password, or a token) replaced by `***`;
 * anything else as it was.
 *
 * @example
 * ```ts
 * import { maskNatsUrl } from "./servers.ts";
 * maskNatsUrl("nats://s3cret@127.0.0.1:4222"); // => "nats://***@127.0.0.1:4222"
 * ```
 */
export function maskNatsUrl(text: string): string {
  return text.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/?#]*@/, "$1***@");
}

/**
 * The problem of a list of servers whose schemes differ (`nats://` and `tls://` mixed: the
 * connection has one TLS setting), or undefined.
 *
 * @example
 * ```ts
 * import { mixedSchemeProblem } from "./servers.ts";
 * mixedSchemeProblem(["tls://a:4222", "nats://b:4222"]); // => "expected every server ..."
 * ```
 */
export function mixedSchemeProblem(servers: readonly string[]): string | undefined {
  const schemes = new Set<boolean>();
  for (const server of servers) {
    try {
      schemes.add(natsEndpoint(server).tls);
    } catch {
      // Reported on its own.
    }
  }
  return schemes.size > 1
    ? "expected every server with the same scheme (all tls:// or all nats://): the connection " +
      "uses TLS with all of them or with none"
    : undefined;
}

/**
 * Throws unless the process may reach every server (see `requireNetAccess`); `who` names the
 * sink or command in the message.
 *
 * @example
 * ```ts
 * import { requireNatsAccess } from "./servers.ts";
 * await requireNatsAccess("sink bus", ["nats://127.0.0.1:4222"]);
 * ```
 */
export async function requireNatsAccess(who: string, servers: readonly string[]): Promise<void> {
  for (const server of servers) {
    const { host, port } = natsEndpoint(server);
    await requireNetAccess(who, "NATS", host, port, TASK_NATS_HOSTS);
  }
}

/**
 * The connection options every client here uses: the listed servers only (addresses a cluster
 * gossips are ignored, so the permission fence holds), reconnecting without end every 250 ms,
 * `timeout` ms for a connection handshake, and no extra stack trace made for every request
 * (`noAsyncTraces`: the client would otherwise build two `Error` objects for each JetStream
 * publish, which profiling showed to cost a fifth of a publisher's time; errors keep their
 * message and cause).
 *
 * @example
 * ```ts
 * import { natsConnectOptions } from "./servers.ts";
 * natsConnectOptions(["nats://127.0.0.1:4222"], "qts-observer", 2000).servers;
 * ```
 */
export function natsConnectOptions(
  servers: readonly string[],
  name: string,
  timeout: number,
): {
  servers: string[];
  name: string;
  timeout: number;
  ignoreClusterUpdates: boolean;
  maxReconnectAttempts: number;
  reconnectTimeWait: number;
  reconnectJitter: number;
  waitOnFirstConnect: boolean;
  noAsyncTraces: boolean;
} {
  return {
    servers: servers.map((s) => {
      const { host, port } = natsEndpoint(s);
      return `${host.includes(":") ? `[${host}]` : host}:${port}`;
    }),
    name,
    timeout,
    ignoreClusterUpdates: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    reconnectJitter: 100,
    waitOnFirstConnect: false,
    noAsyncTraces: true,
  };
}
