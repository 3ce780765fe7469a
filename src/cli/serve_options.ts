/**
 * The flags of `observer.ts serve` that need more than commander's parsing: the listen address
 * and the bearer token.
 *
 * @module
 */

import { isPem, pemHeader, type PemKind } from "../io/pem.ts";

/** Where the token comes from. */
export interface TokenFlags {
  /** `--token-env`: the environment variable holding it. */
  readonly tokenEnv?: string;
  /** `--token-file`: the file holding it. */
  readonly tokenFile?: string;
}

/**
 * `--listen host:port`, checked.
 *
 * @example
 * ```ts
 * import { parseListen } from "./serve_options.ts";
 * parseListen("127.0.0.1:8089"); // => { hostname: "127.0.0.1", port: 8089 }
 * ```
 */
export function parseListen(text: string): { hostname: string; port: number } {
  const match = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(text);
  const port = match === null ? NaN : Number(match[2]);
  if (match === null || port > 65535) {
    throw new Error(
      `--listen: expected host:port such as 127.0.0.1:8089, got ${JSON.stringify(text)}`,
    );
  }
  return { hostname: match[1].replace(/^\[|\]$/g, ""), port };
}

/**
 * The bearer token from `--token-env` (read with `env`) or `--token-file` (a path resolved with
 * `resolvePath`), if one is given: at least 16 characters.
 */
export async function readToken(
  flags: TokenFlags,
  resolvePath: (path: string) => string,
  env: (name: string) => string | undefined,
): Promise<string | undefined> {
  if (flags.tokenEnv !== undefined && flags.tokenFile !== undefined) {
    throw new Error("--token-env and --token-file: expected one of them");
  }
  let token: string | undefined;
  if (flags.tokenEnv !== undefined) {
    if (Deno.permissions.querySync({ name: "env", variable: flags.tokenEnv }).state !== "granted") {
      throw new Error(
        `--token-env ${flags.tokenEnv}: no permission to read it; the tasks grant QTS_* variables`,
      );
    }
    token = env(flags.tokenEnv);
    if (token === undefined) {
      throw new Error(`--token-env ${flags.tokenEnv}: expected it set, got nothing`);
    }
  } else if (flags.tokenFile !== undefined) {
    token = (await Deno.readTextFile(resolvePath(flags.tokenFile))).trim();
  } else {
    return undefined;
  }
  if (token.trim().length < 16) {
    throw new Error("the bearer token: expected at least 16 characters, got fewer");
  }
  return token.trim();
}

/** The `--tls-cert` and `--tls-key` flags. */
export interface TlsFlags {
  /** `--tls-cert`: the certificate chain, PEM. */
  tlsCert?: string;
  /** `--tls-key`: the private key, PEM. */
  tlsKey?: string;
}

async function readPem(flag: string, path: string, kind: PemKind): Promise<string> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new Error(`${flag} ${path}: cannot read it: ${(error as Error).message}`);
  }
  if (!isPem(text, kind)) {
    throw new Error(
      `${flag} ${path}: expected a PEM file (${pemHeader(kind)}), got something else`,
    );
  }
  return text;
}

/**
 * The service's TLS certificate and key from `--tls-cert` and `--tls-key` (files resolved with
 * `resolvePath`), or undefined when neither is given. Throws with the message to print when only
 * one is given or a file is not PEM. The key's text is never put in a message.
 */
export async function readTlsCertificate(
  flags: TlsFlags,
  resolvePath: (path: string) => string,
): Promise<{ cert: string; key: string } | undefined> {
  if (flags.tlsCert === undefined && flags.tlsKey === undefined) return undefined;
  if (flags.tlsCert === undefined || flags.tlsKey === undefined) {
    throw new Error("--tls-cert and --tls-key: expected both (a certificate and its key), got one");
  }
  return {
    cert: await readPem("--tls-cert", resolvePath(flags.tlsCert), "certificate"),
    key: await readPem("--tls-key", resolvePath(flags.tlsKey), "key"),
  };
}
