/**
 * What a configuration reaches outside the project: the servers its sinks and its `nats` block
 * connect to. The permissions tool turns it into `--allow-net` entries, so that the fence is
 * widened by exactly what the configuration names.
 *
 * @module
 */

import { natsEndpoint } from "../nats/servers.ts";
import { postgresEndpoint } from "../sinks/postgres_table.ts";
import type { ObserverConfig } from "./config_schema.ts";

/** The endpoints a configuration connects to. */
export interface ConfigReach {
  /** `host:port` of every server, in the order the file names them, without repeats. */
  readonly net: readonly string[];
}

/** `host:port`, with an IPv6 address in brackets as `--allow-net` expects it. */
function hostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * The servers of `config` (whose `url_env` URLs are already filled in): every `postgres` sink's
 * host and port, every `nats` sink's and the `nats` block's servers.
 *
 * @example
 * ```ts
 * import { configReach } from "./config_reach.ts";
 * import { validateConfig, type ObserverConfig } from "./config_schema.ts";
 * const config = validateConfig({
 *   sinks: [{ type: "postgres", url: "postgres://qts@db.lan:5433/qts", table: "records" }],
 * }) as ObserverConfig;
 * configReach(config).net; // => ["db.lan:5433"]
 * ```
 */
export function configReach(config: ObserverConfig): ConfigReach {
  const net = new Set<string>();
  for (const sink of config.sinks) {
    if (sink.type === "postgres" && sink.url !== undefined) {
      const { host, port } = postgresEndpoint(sink.url);
      net.add(hostPort(host, port));
    } else if (sink.type === "nats") {
      for (const server of sink.servers) {
        const { host, port } = natsEndpoint(server);
        net.add(hostPort(host, port));
      }
    }
  }
  for (const server of config.nats?.servers ?? []) {
    const { host, port } = natsEndpoint(server);
    net.add(hostPort(host, port));
  }
  return { net: [...net] };
}
