/**
 * Bearer-token checks for the service: the token is compared in constant time (through SHA-256
 * digests of equal length), so the time an answer takes says nothing about the token.
 *
 * @module
 */

const encoder = new TextEncoder();

async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

/**
 * True when the request's `Authorization: Bearer <token>` matches `token`.
 *
 * @example
 * ```ts
 * import { hasBearerToken } from "./bearer_token.ts";
 * const request = new Request("http://x/", { headers: { authorization: "Bearer s3cret" } });
 * await hasBearerToken(request, "s3cret"); // => true
 * ```
 */
export async function hasBearerToken(request: Request, token: string): Promise<boolean> {
  const header = request.headers.get("authorization") ?? "";
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  const given = await digest(match?.[1] ?? "");
  const expected = await digest(token);
  let difference = match === null ? 1 : 0;
  for (let i = 0; i < expected.length; i++) difference |= given[i] ^ expected[i];
  return difference === 0;
}

/**
 * True for a listen address only this machine can reach (127.0.0.0/8, ::1, localhost): the
 * service refuses to listen anywhere else without a token.
 *
 * @example
 * ```ts
 * import { isLoopback } from "./bearer_token.ts";
 * isLoopback("127.0.0.1"); // => true
 * isLoopback("0.0.0.0"); // => false
 * ```
 */
export function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "::1" || hostname === "[::1]" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}
