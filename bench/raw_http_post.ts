/**
 * The benches' HTTP load generator: each POST writes its head and a prepared body to a new TCP
 * connection and reads the answer to the end, as `wrk` or `h2load` send. Row i's clients share
 * the service's two cores, and `fetch` cost them 0.26 CPU-s per 100,000 snapshots in 1,000-line
 * bodies (measured on 2026-12-07) on those cores: a cost of the client, not of the service under
 * test.
 *
 * @module
 */

import { concatBytes } from "../src/io/line_reader.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What came back for one POST: its status and body text. */
export interface RawAnswer {
  readonly status: number;
  readonly body: string;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
}

/**
 * POSTs `body` to `path` on 127.0.0.1:`port` over a new connection (`Connection: close`: the
 * service takes one request per connection) and reads the answer until the service closes it.
 *
 * @example
 * ```ts ignore
 * import { rawPost } from "./raw_http_post.ts";
 * const answer = await rawPost(8089, "/v1/snapshots", new TextEncoder().encode("{}\n"));
 * ```
 */
export async function rawPost(port: number, path: string, body: Uint8Array): Promise<RawAnswer> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await writeAll(
      conn,
      encoder.encode(
        `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n` +
          `content-type: application/x-ndjson\r\ncontent-length: ${body.length}\r\n` +
          "connection: close\r\n\r\n",
      ),
    );
    await writeAll(conn, body);
    const chunks: Uint8Array[] = [];
    let size = 0;
    const buffer = new Uint8Array(4096);
    for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
      chunks.push(buffer.slice(0, n));
      size += n;
    }
    const text = decoder.decode(concatBytes(chunks, size));
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? NaN);
    return { status, body: text.slice(text.indexOf("\r\n\r\n") + 4) };
  } finally {
    try {
      conn.close();
    } catch {
      // closed by the service already
    }
  }
}
