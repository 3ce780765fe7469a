/**
 * The greeting of a NATS server: the `INFO {...}` line it sends in plain text to every client
 * before anything else (before TLS too), which says whether it requires TLS, verifies client
 * certificates and requires credentials. Read only to explain a failed connection.
 *
 * @module
 */

import type { NatsEndpoint } from "./servers.ts";

/** What a server's `INFO` says about securing a connection (other fields are kept as they came). */
export interface NatsServerInfo {
  /** The server requires TLS. */
  readonly tls_required?: boolean;
  /** The server verifies client certificates. */
  readonly tls_verify?: boolean;
  /** The server requires credentials. */
  readonly auth_required?: boolean;
  /** Any other field. */
  readonly [field: string]: unknown;
}

/** The greeting is one line; a server sends far less than this. */
const MAX_INFO_BYTES = 64 * 1024;

/**
 * Connects to `endpoint`, reads its `INFO` line and hangs up. Undefined when the server cannot
 * be reached, sends something else, or does not send it within `timeoutMs`.
 *
 * @example
 * ```ts
 * import { serverInfo } from "./server_info.ts";
 * const info = await serverInfo({ host: "127.0.0.1", port: 4222, tls: false }, 1000);
 * info?.tls_required;
 * ```
 */
export async function serverInfo(
  endpoint: NatsEndpoint,
  timeoutMs: number,
): Promise<NatsServerInfo | undefined> {
  let conn: Deno.TcpConn | undefined;
  let timedOut = false;
  const hangUp = () => {
    try {
      conn?.close();
    } catch {
      // already closed
    }
    conn = undefined;
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => {
      timedOut = true;
      hangUp();
      resolve(undefined);
    }, timeoutMs);
  });
  const attempt = (async () => {
    try {
      const opened = await Deno.connect({ hostname: endpoint.host, port: endpoint.port });
      if (timedOut) {
        opened.close();
        return undefined;
      }
      conn = opened;
      return parseInfo(await readLine(opened));
    } catch {
      return undefined;
    }
  })();
  try {
    return await Promise.race([attempt, timeout]);
  } finally {
    clearTimeout(timer);
    hangUp();
  }
}

/** The bytes up to the first line end (or the end, or the limit). */
async function readLine(conn: Deno.TcpConn): Promise<string> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  const buffer = new Uint8Array(4096);
  while (length < MAX_INFO_BYTES) {
    const n = await conn.read(buffer);
    if (n === null) break;
    chunks.push(buffer.slice(0, n));
    length += n;
    if (buffer.subarray(0, n).includes(0x0a)) break;
  }
  const text = new TextDecoder().decode(concat(chunks, length));
  const end = text.indexOf("\n");
  return (end >= 0 ? text.slice(0, end) : text).trim();
}

/** The JSON object of an `INFO {...}` line, or undefined. */
function parseInfo(line: string): NatsServerInfo | undefined {
  if (!line.startsWith("INFO ")) return undefined;
  try {
    const info: unknown = JSON.parse(line.slice("INFO ".length));
    return typeof info === "object" && info !== null && !Array.isArray(info)
      ? info as NatsServerInfo
      : undefined;
  } catch {
    return undefined;
  }
}

function concat(chunks: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
