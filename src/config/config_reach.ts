/**
 * What a configuration reaches outside the project: the servers its sinks and its `nats` block
 * connect to, and the files it names (TLS certificates and keys, password, token, seed and
 * `.creds` files). The permissions tool turns them into `--allow-net` and `--allow-read`
 * entries, so that the fence is widened by exactly what the configuration names.
 *
 * @module
 */

import type { NatsSecuritySpec, SecretSource } from "../nats/security_spec.ts";
import { natsEndpoint } from "../nats/servers.ts";
import { postgresEndpoint } from "../sinks/postgres_table.ts";
import type { ObserverConfig } from "./config_types.ts";

/** The endpoints and files a configuration uses. */
export interface ConfigReach {
  /** `host:port` of every server, in the order the file names them, without repeats. */
  readonly net: readonly string[];
  /** Every file the configuration names (as `loadConfig` resolved them), without repeats. */
  readonly files: readonly string[];
}

/** `host:port`, with an IPv6 address in brackets as `--allow-net` expects it. */
function hostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

function sourceFile(source: SecretSource): string[] {
  return "file" in source ? [source.file] : [];
}

function natsFiles(spec: NatsSecuritySpec | undefined): string[] {
  const auth = spec?.auth;
  const authFiles = auth === undefined
    ? []
    : auth.kind === "user_password"
    ? sourceFile(auth.password)
    : auth.kind === "token"
    ? sourceFile(auth.token)
    : auth.kind === "nkey"
    ? sourceFile(auth.seed)
    : [auth.file];
  const tls = spec?.tls;
  return [...authFiles, tls?.caFile, tls?.certFile, tls?.keyFile].filter((f) =>
    f !== undefined
  ) as string[];
}

/**
 * The servers and files of `config`: every `postgres` sink's host and port (its `url`, or the URL
 * in the variable its `url_env` names, read with `readEnv`), every `nats` sink's and the `nats`
 * block's servers, and the TLS and secret files they name. Throws when a `url_env` variable holds
 * no postgres:// URL (the host to grant cannot be known); never reads a secret.
 *
 * @example
 * ```ts
 * import { configReach } from "./config_reach.ts";
 * import { validateConfig } from "./config_schema.ts";
 * import type { ObserverConfig } from "./config_types.ts";
 * const config = validateConfig({
 *   sinks: [{ type: "postgres", url: "postgres://qts@db.lan:5433/qts", table: "records", tls: "require" }],
 * }) as ObserverConfig;
 * configReach(config, () => undefined).net; // => ["db.lan:5433"]
 * ```
 */
export function configReach(
  config: ObserverConfig,
  readEnv: (name: string) => string | undefined,
): ConfigReach {
  const net = new Set<string>();
  const files = new Set<string>();
  const servers = (list: readonly string[]) => {
    for (const server of list) {
      const { host, port } = natsEndpoint(server);
      net.add(hostPort(host, port));
    }
  };
  config.sinks.forEach((sink, i) => {
    if (sink.type === "postgres") {
      const url = sink.url ?? (sink.urlEnv === undefined ? undefined : readEnv(sink.urlEnv));
      if (url === undefined || !URL.canParse(url)) {
        throw new Error(
          `sinks[${i}].url_env: expected ${sink.urlEnv} to hold a postgres:// URL (the host to ` +
            "grant), got nothing or something else",
        );
      }
      const { host, port } = postgresEndpoint(url);
      net.add(hostPort(host, port));
      for (const file of [sink.tlsCaFile, sink.tlsCertFile, sink.tlsKeyFile, sink.passwordFile]) {
        if (file !== undefined) files.add(file);
      }
    } else if (sink.type === "nats") {
      servers(sink.servers);
      for (const file of natsFiles(sink.security)) files.add(file);
    }
  });
  if (config.nats !== undefined) {
    servers(config.nats.servers);
    for (const file of natsFiles(config.nats.security)) files.add(file);
  }
  return { net: [...net], files: [...files] };
}
