/**
 * The byte copying of the connection guard: a request's body from the client to the server
 * behind, the server's answer back to the client (complete once its framing says so), and
 * writes to a client that give up when the client takes no byte for a while.
 *
 * @module
 */

import { answerFraming, blankLineAt, concat, LAST_CHUNK } from "./http_framing.ts";

/** A write to a client that took no byte within the send timeout (its send buffer stayed full). */
export class SendStalled extends Error {
  /** Names the timeout. */
  constructor(ms: number) {
    super(`the client took no byte of its answer within ${ms} ms`);
    this.name = "SendStalled";
  }
}

/** One write, given up (with {@linkcode SendStalled}) when nothing of it is taken in `ms`. */
async function timedWrite(conn: Deno.Conn, bytes: Uint8Array, ms: number): Promise<number> {
  const writing = conn.write(bytes);
  writing.catch(() => {}); // settles after the connection is closed; the race below is decided
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SendStalled(ms)), ms);
  });
  try {
    return await Promise.race([writing, stalled]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Writes all of `bytes` to `conn`; with `timeoutMs`, throws {@linkcode SendStalled} when one
 * write takes no byte within that time (the caller closes the connection).
 *
 * @example
 * ```ts
 * import { writeAll } from "./relay.ts";
 * declare const conn: Deno.Conn;
 * await writeAll(conn, new TextEncoder().encode("hello"), 30_000);
 * ```
 */
export async function writeAll(
  conn: Deno.Conn,
  bytes: Uint8Array,
  timeoutMs = Infinity,
): Promise<void> {
  for (let at = 0; at < bytes.length;) {
    const chunk = bytes.subarray(at);
    at += timeoutMs === Infinity
      ? await conn.write(chunk)
      : await timedWrite(conn, chunk, timeoutMs);
  }
}

/** Closes `conn`, whether or not it is still open. */
export function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}

/** Largest answer head read for its framing; beyond, the answer is copied until the server closes. */
const MAX_ANSWER_HEAD_BYTES = 64 * 1024;

/**
 * Copies the server's answer from `upstream` to `client` and returns when it is complete: when
 * the server closes (it was asked to), or, for an answer with a Content-Length (or none: to a
 * `HEAD`, a 204 or a 304), once that many body bytes went through — the server keeps a
 * connection open while the request's body is unread (a request refused early, or a body that
 * came too slowly), so its close cannot be waited for. Interim `1xx` answers (`100 Continue`)
 * are passed through and skipped. A chunked answer, or one without a length, is copied until the
 * server closes. Every byte is copied as it came; the head is read as bytes. A client that takes
 * no byte for `sendTimeoutMs` ends it with {@linkcode SendStalled}.
 *
 * @example
 * ```ts
 * import { relayResponse } from "./relay.ts";
 * declare const upstream: Deno.Conn, client: Deno.Conn;
 * await relayResponse(upstream, client, false);
 * ```
 */
export async function relayResponse(
  upstream: Deno.Conn,
  client: Deno.Conn,
  isHead: boolean,
  sendTimeoutMs = Infinity,
): Promise<void> {
  const buffer = new Uint8Array(16 * 1024); // per connection: small, many may be open
  let head: Uint8Array = new Uint8Array(0); // the answer's head so far, until it is complete
  let remaining: number | undefined; // body bytes still to come, when known
  while (true) {
    const n = await upstream.read(buffer);
    if (n === null) return;
    await writeAll(client, buffer.subarray(0, n), sendTimeoutMs);
    if (remaining !== undefined) {
      remaining -= n;
    } else {
      head = concat(head, buffer.subarray(0, n));
      let end: number;
      while (remaining === undefined && (end = blankLineAt(head)) >= 0) {
        const framing = answerFraming(head.subarray(0, end), isHead);
        const rest = head.length - (end + 4);
        if (framing === "interim") {
          head = head.slice(end + 4);
          continue;
        }
        if (framing === "close") return await drain(upstream, client, buffer, sendTimeoutMs);
        remaining = framing - rest;
      }
      if (remaining === undefined && head.length >= MAX_ANSWER_HEAD_BYTES) {
        return await drain(upstream, client, buffer, sendTimeoutMs);
      }
    }
    if (remaining !== undefined && remaining <= 0) return;
  }
}

/** Copies everything the server sends until it closes. */
async function drain(
  upstream: Deno.Conn,
  client: Deno.Conn,
  buffer: Uint8Array,
  sendTimeoutMs: number,
): Promise<void> {
  for (let n = await upstream.read(buffer); n !== null; n = await upstream.read(buffer)) {
    await writeAll(client, buffer.subarray(0, n), sendTimeoutMs);
  }
}

/** How a request's copy to the server ended; see {@linkcode relayRequest}. */
export type RequestEnding = "complete" | "eof" | "error" | "done";

/**
 * Copies what the client sends after its head to the server behind, until the client ends its
 * side (`"complete"` after its whole body, else `"eof"`), its connection fails (`"error"`:
 * reset, say) or the exchange is over (`"done"`: either connection was closed here, the answer
 * complete). Read by hand, not through `conn.readable`, which closes the whole connection at the
 * client's end of input: a client that shuts only its side after the body could then never be
 * answered.
 *
 * @example
 * ```ts
 * import { relayRequest } from "./relay.ts";
 * declare const client: Deno.Conn, upstream: Deno.Conn;
 * const ending = await relayRequest(client, upstream, 0, 0);
 * ```
 */
export async function relayRequest(
  conn: Deno.Conn,
  upstream: Deno.Conn,
  sent: number,
  framing: number | "chunked",
  tail: Uint8Array = new Uint8Array(0),
): Promise<RequestEnding> {
  const buffer = new Uint8Array(16 * 1024);
  // The last bytes sent, for a chunked body: whether it ended with its last chunk.
  let last = tail.slice(-LAST_CHUNK.length);
  while (true) {
    let n: number | null;
    try {
      n = await conn.read(buffer);
    } catch (error) {
      // Closed here while the read waited: Interrupted (Deno 2.9), or BadResource.
      return error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted
        ? "done"
        : "error";
    }
    if (n === null) {
      const complete = framing === "chunked"
        ? last.length === LAST_CHUNK.length && last.every((b, i) => b === LAST_CHUNK[i])
        : sent >= framing;
      return complete ? "complete" : "eof";
    }
    sent += n;
    if (framing === "chunked") last = concat(last, buffer.subarray(0, n)).slice(-LAST_CHUNK.length);
    try {
      await writeAll(upstream, buffer.subarray(0, n));
    } catch {
      return "done"; // the server behind closed: its answer ends the exchange
    }
  }
}
