/**
 * How a `postgres` sink's connection is secured, decided from its URL (`sslmode`) and its
 * settings (`tls`, the TLS files), without the client: one TLS mode or the reason there is none.
 * A mode is never weakened: `sslmode=prefer`/`allow` (which fall back to plaintext without a
 * word) are refused, a URL and a `tls` key that disagree are refused, and a host that is not a
 * loopback address gets no plaintext unless `tls: "disable"` (or `sslmode=disable`) says so.
 *
 * @module
 */

import { POSTGRES_TLS_MODES, postgresEndpoint, type PostgresTls } from "./postgres_table.ts";

/** What a sink's settings say about TLS, as the configuration has them. */
export interface PostgresTlsSettings {
  /** The TLS mode written in the configuration, if any. */
  readonly tls?: PostgresTls;
  /** PEM file of the CA(s) the server's certificate must chain to (`verify-ca`, `verify-full`). */
  readonly tlsCaFile?: string;
  /** PEM file of the client certificate (with `tlsKeyFile`), for `cert` authentication. */
  readonly tlsCertFile?: string;
  /** PEM file of the client certificate's private key. */
  readonly tlsKeyFile?: string;
}

/**
 * libpq URL parameters the sink does not take from the URL, and what to use instead. postgres.js
 * would pass them on to the server as run-time settings (`sslrootcert`), or read some itself
 * (`ssl`); neither is what a libpq user means.
 */
const URL_PARAMETERS_REFUSED: Readonly<Record<string, string>> = {
  ssl: 'use sslmode, or the sink\'s "tls" key',
  sslrootcert: 'set "tls_ca_file" in the configuration',
  sslcert: 'set "tls_cert_file" in the configuration',
  sslkey: 'set "tls_key_file" in the configuration',
  sslpassword: "the key file must not be encrypted",
  sslcrl: "certificate revocation lists are not supported",
  sslcrldir: "certificate revocation lists are not supported",
  sslsni: "SNI is sent for host names, never for addresses",
  sslnegotiation: "the sink negotiates TLS the standard way",
  sslcompression: "TLS compression is not supported",
  password: 'set "password_file" or "password_env" in the configuration',
  passfile: 'set "password_file" in the configuration',
  requiressl: 'use sslmode, or the sink\'s "tls" key',
};

/** The `sslmode` values libpq knows but the sink refuses, and why. */
const SSLMODES_REFUSED: Readonly<Record<string, string>> = {
  prefer: "it falls back to plaintext without a word when the server has no TLS",
  allow: "it tries plaintext first, and uses TLS only if the server insists",
};

/**
 * True for a host name or address that stays on this machine: `localhost`, `127.0.0.0/8`, `::1`.
 *
 * @example
 * ```ts
 * import { isLoopbackHost } from "./postgres_security.ts";
 * isLoopbackHost("127.0.0.1"); // => true
 * isLoopbackHost("db.example"); // => false
 * ```
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  return bare === "localhost" || bare === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare);
}

/**
 * The `sslmode` of a connection URL (undefined when it has none), or a problem: a value libpq
 * does not know, one the sink refuses, a repeated one, or a libpq parameter the sink takes from
 * its configuration instead. `from` names the URL in messages (`url`, `QTS_PG_URL`).
 *
 * @example
 * ```ts
 * import { urlSslmode } from "./postgres_security.ts";
 * urlSslmode("postgres://qts@db/qts?sslmode=verify-full", "url"); // => { sslmode: "verify-full" }
 * urlSslmode("postgres://qts@db/qts?sslmode=prefer", "url"); // => { problem: "the URL's sslmode=prefer ..." }
 * ```
 */
export function urlSslmode(
  url: string,
  from: string,
): { sslmode?: PostgresTls; problem?: undefined } | { problem: string } {
  const params = new URL(url).searchParams;
  for (const name of new Set(params.keys())) {
    const instead = URL_PARAMETERS_REFUSED[name.toLowerCase()];
    if (instead !== undefined) {
      return {
        problem: `expected no ${name} parameter in the URL (${from}): ${instead}; got one`,
      };
    }
  }
  const modes = params.getAll("sslmode");
  if (modes.length === 0) return {};
  if (modes.length > 1) {
    return { problem: `expected one sslmode in the URL (${from}), got ${modes.length}` };
  }
  const mode = modes[0];
  if ((POSTGRES_TLS_MODES as readonly string[]).includes(mode)) {
    return { sslmode: mode as PostgresTls };
  }
  const why = SSLMODES_REFUSED[mode];
  const expected = `expected sslmode one of ${POSTGRES_TLS_MODES.join(", ")}`;
  return {
    problem: why === undefined
      ? `${expected} in the URL (${from}), got ${JSON.stringify(mode.slice(0, 40))}`
      : `${expected} (require encrypts without checking the server's certificate, ` +
        `verify-full checks it), got sslmode=${mode} in the URL (${from}), refused: ${why}`,
  };
}

/**
 * The TLS mode a sink connects with, from its URL and its settings, or the problem that leaves
 * it none (the message names the keys to change). `from` names the URL in messages.
 *
 * - The URL's `sslmode` and the `tls` key must agree when both are given.
 * - Neither: `disable` for a loopback host; any other host is refused (a plaintext connection
 *   across a network is written out as `tls: "disable"`, never assumed).
 * - `tls_ca_file` only under `verify-ca`/`verify-full`; no TLS file under `disable`;
 *   `tls_cert_file` and `tls_key_file` together.
 *
 * @example
 * ```ts
 * import { effectivePostgresTls } from "./postgres_security.ts";
 * effectivePostgresTls("postgres://qts@127.0.0.1/qts", {}, "url"); // => { mode: "disable" }
 * effectivePostgresTls("postgres://qts@db/qts?sslmode=require", { tls: "disable" }, "url");
 * // => { problem: 'expected one TLS mode ..., got sslmode=require in the URL (url) and ...' }
 * ```
 */
export function effectivePostgresTls(
  url: string,
  settings: PostgresTlsSettings,
  from: string,
): { mode: PostgresTls; problem?: undefined } | { problem: string } {
  const fromUrl = urlSslmode(url, from);
  if (fromUrl.problem !== undefined) return { problem: fromUrl.problem };
  const { sslmode } = fromUrl;
  if (sslmode !== undefined && settings.tls !== undefined && sslmode !== settings.tls) {
    return {
      problem: `expected one TLS mode (make them agree, or remove one), got sslmode=${sslmode} ` +
        `in the URL (${from}) and "tls": "${settings.tls}"`,
    };
  }
  if ((settings.tlsCertFile === undefined) !== (settings.tlsKeyFile === undefined)) {
    return {
      problem: "expected tls_cert_file and tls_key_file together (the client certificate and " +
        `its key), got only ${
          settings.tlsCertFile === undefined ? "tls_key_file" : "tls_cert_file"
        }`,
    };
  }
  const files = [
    ...(settings.tlsCaFile === undefined ? [] : ["tls_ca_file"]),
    ...(settings.tlsCertFile === undefined ? [] : ["tls_cert_file", "tls_key_file"]),
  ];
  const mode = settings.tls ?? sslmode;
  if (mode === undefined) {
    if (files.length > 0) {
      return {
        problem: `expected a TLS mode with ${files.join(", ")} ("tls": "verify-full" checks ` +
          "the server's certificate against tls_ca_file), got none",
      };
    }
    const { host, port } = postgresEndpoint(url);
    if (isLoopbackHost(host)) return { mode: "disable" };
    return {
      problem: `expected a TLS mode for ${host}:${port}, which is not a loopback address: ` +
        `"tls": "verify-full" (with "tls_ca_file" unless a public CA signed the server's ` +
        `certificate) or "require" (encrypted, the certificate not checked), or ` +
        `"tls": "disable" written out to send the password and the records in plaintext; ` +
        `got no "tls" and no sslmode in the URL (${from})`,
    };
  }
  if (mode === "disable" && files.length > 0) {
    return {
      problem: `expected no TLS files with TLS mode disable (remove them), got ${files.join(", ")}`,
    };
  }
  if (mode === "require" && settings.tlsCaFile !== undefined) {
    return {
      problem: `expected "tls": "verify-full" (or "verify-ca") with tls_ca_file, got require, ` +
        "which does not check the server's certificate",
    };
  }
  return { mode };
}
