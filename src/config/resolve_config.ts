/**
 * What a validated configuration needs from outside itself before a run can use it: relative
 * files resolved against the configuration's directory, and the URLs and secrets it names by
 * environment variable or file read in. Each problem names its field and never a secret.
 *
 * @module
 */

import { postgresEndpoint } from "../sinks/postgres_table.ts";
import { type NatsCredentials, readNatsCredentials } from "../nats/credentials.ts";
import type { NatsSecuritySpec } from "../nats/security_spec.ts";
import type { ObserverConfig } from "./config_types.ts";
import { specRelativeTo } from "./nats_security.ts";
import { postgresSecurityProblems, readPasswordEnv, withConfigDir } from "./postgres_security.ts";

/**
 * Fills in the URL of every `postgres` sink that names an environment variable (`url_env`), read
 * through `readEnv` (the caller owns the environment). Returns the configuration, or one
 * problem per variable that is unset or cannot be read.
 *
 * @example
 * ```ts
 * import { resolveConnectionUrls } from "./resolve_config.ts";
 * import type { ObserverConfig } from "./config_types.ts";
 * declare const config: ObserverConfig;
 * resolveConnectionUrls(config, (name) => name === "QTS_PG" ? "postgres://db/qts" : undefined);
 * ```
 */
export function resolveConnectionUrls(
  config: ObserverConfig,
  readEnv: (name: string) => string | undefined,
): ObserverConfig | string[] {
  const problems: string[] = [];
  const sinks = config.sinks.map((sink, i) => {
    if (sink.type !== "postgres") return sink;
    const password = readPasswordEnv(sink, readEnv);
    if (password.problem !== undefined) {
      problems.push(`sinks[${i}].password_env: ${password.problem}`);
      return sink;
    }
    if (password.password !== undefined) sink = { ...sink, password: password.password };
    if (sink.url !== undefined || sink.urlEnv === undefined) return sink;
    let url: string | undefined;
    try {
      url = readEnv(sink.urlEnv);
    } catch (error) {
      problems.push(`sinks[${i}].url_env: cannot read ${sink.urlEnv}: ${(error as Error).message}`);
      return sink;
    }
    if (url === undefined || url === "") {
      problems.push(
        `sinks[${i}].url_env: expected the environment variable ${sink.urlEnv} to hold a ` +
          "postgres:// URL, got nothing (unset)",
      );
      return sink;
    }
    try {
      postgresEndpoint(url);
    } catch {
      problems.push(
        `sinks[${i}].url_env: expected ${sink.urlEnv} to hold a postgres:// URL, got something else`,
      );
      return sink;
    }
    for (const [key, message] of postgresSecurityProblems(url, sink, sink.urlEnv)) {
      problems.push(`sinks[${i}].${key === "url" ? "url_env" : key}: ${message}`);
    }
    return { ...sink, url };
  });
  if (problems.length > 0) return problems;
  // The secrets the NATS auth and tls objects name, read now: a missing one stops the command.
  return resolveNatsCredentials({ ...config, sinks }, readEnv);
}

/**
 * The configuration with the relative files of its `postgres` sinks resolved against `dir`, the
 * directory of the configuration file ({@linkcode withConfigDir}).
 *
 * @example
 * ```ts
 * import { resolvePostgresFiles } from "./resolve_config.ts";
 * import type { ObserverConfig } from "./config_types.ts";
 * declare const config: ObserverConfig;
 * resolvePostgresFiles(config, "/srv/qts");
 * ```
 */
export function resolvePostgresFiles(config: ObserverConfig, dir: string): ObserverConfig {
  return {
    ...config,
    sinks: config.sinks.map((sink) => sink.type === "postgres" ? withConfigDir(sink, dir) : sink),
  };
}

/**
 * The configuration with every relative file its NATS `auth` and `tls` objects name resolved
 * against `dir`, the directory of the configuration file (absolute paths stay as they are).
 *
 * @example
 * ```ts
 * import { resolveNatsFiles } from "./resolve_config.ts";
 * import type { ObserverConfig } from "./config_types.ts";
 * declare const config: ObserverConfig;
 * resolveNatsFiles(config, "/srv/qts");
 * ```
 */
export function resolveNatsFiles(config: ObserverConfig, dir: string): ObserverConfig {
  const nats = config.nats;
  return {
    ...config,
    sinks: config.sinks.map((sink) =>
      sink.type !== "nats" || sink.security === undefined
        ? sink
        : { ...sink, security: specRelativeTo(dir, sink.security) }
    ),
    ...(nats?.security === undefined
      ? {}
      : { nats: { ...nats, security: specRelativeTo(dir, nats.security) } }),
  };
}

/** The permission bits of a file (`stat`). */
function statMode(path: string): number | null {
  return Deno.statSync(path).mode;
}

/**
 * Reads the secrets and TLS files every `nats` sink and the `nats` block name (environment
 * variables through `readEnv`, files through `readFile`; a file holding a secret, and a key file,
 * must be readable by its owner only, checked with `fileMode`) and adds them to the configuration
 * as `credentials`. Returns the configuration, or one problem per entry that cannot be used, each
 * with its path (`nats.auth.password_env: ...`), never a secret.
 *
 * @example
 * ```ts
 * import { resolveNatsCredentials } from "./resolve_config.ts";
 * import type { ObserverConfig } from "./config_types.ts";
 * declare const config: ObserverConfig;
 * resolveNatsCredentials(config, (name) => name === "QTS_NATS_TOKEN" ? "t0ken" : undefined);
 * ```
 */
export function resolveNatsCredentials(
  config: ObserverConfig,
  readEnv: (name: string) => string | undefined,
  readFile: (path: string) => Uint8Array = Deno.readFileSync,
  fileMode: (path: string) => number | null = statMode,
): ObserverConfig | string[] {
  const problems: string[] = [];
  const readers = { readEnv, readFile, fileMode };
  const read = (spec: NatsSecuritySpec, where: string): NatsCredentials | undefined => {
    const credentials = readNatsCredentials(spec, readers, where);
    if (Array.isArray(credentials)) {
      problems.push(...credentials);
      return undefined;
    }
    return credentials;
  };
  const nats = config.nats;
  const natsCredentials = nats?.security === undefined ? undefined : read(nats.security, "nats");
  const sinks = config.sinks.map((sink, i) => {
    if (sink.type !== "nats" || sink.security === undefined) return sink;
    const credentials = read(sink.security, `sinks[${i}]`);
    return credentials === undefined ? sink : { ...sink, credentials };
  });
  if (problems.length > 0) return problems;
  return {
    ...config,
    sinks,
    ...(nats === undefined || natsCredentials === undefined
      ? {}
      : { nats: { ...nats, credentials: natsCredentials } }),
  };
}
