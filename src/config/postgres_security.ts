/**
 * The security keys of a `postgres` sink in the configuration file: `tls` and the TLS files
 * (`tls_ca_file`, `tls_cert_file`, `tls_key_file`), and where the password comes from
 * (`password_file`, `password_env`). Their schema fields, the checks between them and the URL,
 * relative files resolved against the configuration's directory, and the password read from
 * the environment variable the file names (through a reader the caller hands in).
 *
 * @module
 */

import { isAbsolute, join } from "node:path";
import { z } from "zod";
import { POSTGRES_TLS_MODES, postgresEndpoint, type PostgresTls } from "../sinks/postgres_table.ts";
import { effectivePostgresTls } from "../sinks/postgres_security.ts";

/** The security settings of a `postgres` sink, as the configuration gives them. */
export interface PostgresSecurityConfig {
  /** TLS mode written in the file (absent: the URL's `sslmode`, else `disable` on loopback). */
  readonly tls?: PostgresTls;
  /** CA file for `verify-ca`/`verify-full` (relative: to the configuration's directory). */
  readonly tlsCaFile?: string;
  /** Client certificate file (with `tlsKeyFile`). */
  readonly tlsCertFile?: string;
  /** Client key file (mode 600 or less). */
  readonly tlsKeyFile?: string;
  /** File holding the password on one line (mode 600 or less). */
  readonly passwordFile?: string;
  /** Environment variable holding the password. */
  readonly passwordEnv?: string;
  /** The password read from `passwordEnv` (by `resolveConnectionUrls`); never printed. */
  readonly password?: string;
}

const envName = z.string({ error: "expected the name of an environment variable" }).regex(
  /^[A-Za-z_][A-Za-z0-9_]*$/,
  { error: "expected the name of an environment variable (letters, digits, _)" },
);

const filePath = z.string({ error: "expected a file path" }).min(1, {
  error: "expected a file path",
}).refine((path) => ![...path].some((c) => c.charCodeAt(0) < 0x20), {
  error: "expected a file path without control characters",
});

/** The schema fields of the security keys, spread into the `postgres` sink's object. */
export const postgresSecurityFields = {
  tls: z.enum(POSTGRES_TLS_MODES, { error: `expected one of ${POSTGRES_TLS_MODES.join(", ")}` })
    .nullish(),
  tls_ca_file: filePath.optional(),
  tls_cert_file: filePath.optional(),
  tls_key_file: filePath.optional(),
  password_file: filePath.optional(),
  password_env: envName.optional(),
};

/** The raw keys, as the schema parsed them. */
export interface RawPostgresSecurity {
  /** `url`, when the file gives it. */
  readonly url?: string;
  /** `tls`. */
  readonly tls?: PostgresTls | null;
  /** `tls_ca_file`. */
  readonly tls_ca_file?: string;
  /** `tls_cert_file`. */
  readonly tls_cert_file?: string;
  /** `tls_key_file`. */
  readonly tls_key_file?: string;
  /** `password_file`. */
  readonly password_file?: string;
  /** `password_env`. */
  readonly password_env?: string;
}

/** `object` without its keys whose value is undefined. */
function defined<T extends object>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as T;
}

/** The typed settings of the raw keys (keys not given are left out). */
export function postgresSecurityConfig(raw: RawPostgresSecurity): PostgresSecurityConfig {
  return defined({
    tls: raw.tls ?? undefined,
    tlsCaFile: raw.tls_ca_file,
    tlsCertFile: raw.tls_cert_file,
    tlsKeyFile: raw.tls_key_file,
    passwordFile: raw.password_file,
    passwordEnv: raw.password_env,
  });
}

function isPostgresUrl(url: string): boolean {
  try {
    postgresEndpoint(url);
    return true;
  } catch {
    return false;
  }
}

function hasUrlPassword(url: string): boolean {
  return URL.canParse(url) && new URL(url).password !== "";
}

/**
 * Problems of a sink's security settings against its URL (`from` names the URL in messages:
 * `url`, or the variable of `url_env`): the password in two places, or no TLS mode that fits
 * (`effectivePostgresTls`). Each is `[key, message]`, the key the one to change.
 *
 * @example
 * ```ts
 * import { postgresSecurityProblems } from "./postgres_security.ts";
 * postgresSecurityProblems("postgres://qts@db.example/qts", {}, "url");
 * // => [["tls", "expected a TLS mode for db.example:5432, which is not a loopback address: ..."]]
 * ```
 */
export function postgresSecurityProblems(
  url: string | undefined,
  security: PostgresSecurityConfig,
  from: string,
): [string, string][] {
  const problems: [string, string][] = [];
  if (security.passwordFile !== undefined && security.passwordEnv !== undefined) {
    problems.push([
      "password_env",
      "expected one of password_file and password_env, got both",
    ]);
  }
  if (url === undefined || !isPostgresUrl(url)) return problems; // the URL's own check says why
  const givenElsewhere = security.passwordFile !== undefined
    ? "password_file"
    : security.passwordEnv !== undefined
    ? "password_env"
    : undefined;
  if (givenElsewhere !== undefined && hasUrlPassword(url)) {
    problems.push([
      givenElsewhere,
      `expected the password in one place, got it in the URL (${from}) and in ${givenElsewhere}`,
    ]);
  }
  const tls = effectivePostgresTls(url, security, from);
  if (tls.problem !== undefined) {
    const key = / parameter in the URL|one sslmode|expected sslmode/.test(tls.problem)
      ? "url"
      : /tls_cert_file and tls_key_file/.test(tls.problem)
      ? "tls_cert_file"
      : "tls";
    problems.push([key, tls.problem]);
  }
  return problems;
}

/**
 * The settings with relative files resolved against `dir`, the directory of the configuration
 * file (as given: a relative `dir` stays relative to where the file itself was found).
 *
 * @example
 * ```ts
 * import { withConfigDir } from "./postgres_security.ts";
 * withConfigDir({ tlsCaFile: "ca.crt" }, "/srv/qts").tlsCaFile; // => "/srv/qts/ca.crt"
 * ```
 */
export function withConfigDir<T extends PostgresSecurityConfig>(security: T, dir: string): T {
  const at = (file: string | undefined) =>
    file === undefined || isAbsolute(file) ? file : join(dir, file);
  return defined({
    ...security,
    tlsCaFile: at(security.tlsCaFile),
    tlsCertFile: at(security.tlsCertFile),
    tlsKeyFile: at(security.tlsKeyFile),
    passwordFile: at(security.passwordFile),
  });
}

/**
 * The password of `password_env`, read through `readEnv` (undefined when the sink names no
 * variable), or the problem: the variable cannot be read or is empty. The message names the
 * variable, never its value.
 *
 * @example
 * ```ts
 * import { readPasswordEnv } from "./postgres_security.ts";
 * readPasswordEnv({ passwordEnv: "QTS_PG_PASSWORD" }, () => "s3cret"); // => { password: "s3cret" }
 * ```
 */
export function readPasswordEnv(
  security: PostgresSecurityConfig,
  readEnv: (name: string) => string | undefined,
): { password?: string; problem?: undefined } | { problem: string } {
  const name = security.passwordEnv;
  if (name === undefined) return {};
  let value: string | undefined;
  try {
    value = readEnv(name);
  } catch (error) {
    return { problem: `cannot read ${name}: ${(error as Error).message}` };
  }
  if (value === undefined || value === "") {
    return {
      problem: `expected the environment variable ${name} to hold the password, got nothing ` +
        `(${value === undefined ? "unset" : "empty"})`,
    };
  }
  return { password: value };
}

/**
 * The security keys as `config check` prints them: `tls` as the connection will use it (null
 * when it depends on a `url_env` URL not read here), the files, the names of the password's
 * file or variable, and never the password.
 *
 * @example
 * ```ts
 * import { postgresSecurityJson } from "./postgres_security.ts";
 * postgresSecurityJson({ url: "postgres://qts@127.0.0.1/qts", passwordEnv: "QTS_PG_PASSWORD" });
 * // => { tls: "disable", password_env: "QTS_PG_PASSWORD" }
 * ```
 */
export function postgresSecurityJson(
  sink: PostgresSecurityConfig & { readonly url?: string },
): Record<string, unknown> {
  let tls: PostgresTls | null = sink.tls ?? null;
  if (sink.url !== undefined) {
    const effective = effectivePostgresTls(sink.url, sink, "url");
    if (effective.problem === undefined) tls = effective.mode;
  }
  return defined({
    tls,
    tls_ca_file: sink.tlsCaFile,
    tls_cert_file: sink.tlsCertFile,
    tls_key_file: sink.tlsKeyFile,
    password_file: sink.passwordFile,
    password_env: sink.passwordEnv,
  });
}
