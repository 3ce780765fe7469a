/**
 * The flags of `observer.ts serve` that need more than commander's parsing: the listen address
 * and the bearer token.
 *
 * @module
 */

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
 * The bearer token from `--token-env` or `--token-file` (a path resolved with `resolvePath`), if
 * one is given: at least 16 characters.
 */
export async function readToken(
  flags: TokenFlags,
  resolvePath: (path: string) => string,
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
    token = Deno.env.get(flags.tokenEnv);
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
