/**
 * How HTTP/1.1 messages that pass through the connection guard end, read from their heads as
 * bytes (each byte one character, no decoding): an answer's framing (to know when it is
 * complete), a request's (to know whether a client that ends its side sent its whole body), and
 * the guard's own short answers.
 *
 * @module
 */

const encoder = new TextEncoder();

/** The end of a chunked body without trailers: the last chunk and the empty line. */
export const LAST_CHUNK: Uint8Array = encoder.encode("0\r\n\r\n");

/**
 * A whole answer with a JSON body `{"error": message}` and `Connection: close`.
 *
 * @example
 * ```ts
 * import { plainAnswer } from "./http_framing.ts";
 * plainAnswer("503 Service Unavailable", "retry");
 * ```
 */
export function plainAnswer(status: string, message: string): Uint8Array {
  const body = JSON.stringify({ error: message }) + "\n";
  return encoder.encode(
    `HTTP/1.1 ${status}\r\ncontent-type: application/json; charset=utf-8\r\n` +
      `content-length: ${encoder.encode(body).length}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/**
 * Index of the first CRLF CRLF in `bytes`, or -1.
 *
 * @example
 * ```ts
 * import { blankLineAt } from "./http_framing.ts";
 * blankLineAt(new TextEncoder().encode("HTTP/1.1 200 OK\r\n\r\n")); // 15
 * ```
 */
export function blankLineAt(bytes: Uint8Array): number {
  for (let i = 3; i < bytes.length; i++) {
    if (
      bytes[i] === 0x0a && bytes[i - 1] === 0x0d && bytes[i - 2] === 0x0a && bytes[i - 3] === 0x0d
    ) {
      return i - 3;
    }
  }
  return -1;
}

function latin1(bytes: Uint8Array): string {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return text;
}

/** The header fields of a head (its first line skipped), names in lower case, read as bytes. */
function headFields(head: Uint8Array): [string, string][] {
  return latin1(head).split("\r\n").slice(1).filter((line) => line.includes(":")).map((line) => {
    const colon = line.indexOf(":");
    return [
      line.slice(0, colon).toLowerCase(),
      line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, ""),
    ];
  });
}

const isChunked = (fields: [string, string][]) =>
  fields.some(([name, value]) =>
    name === "transfer-encoding" && /(^|,)[ \t]*chunked[ \t]*(,|$)/i.test(value)
  );

const contentLength = (fields: [string, string][]) => {
  const length = fields.find(([name]) => name === "content-length")?.[1];
  return length !== undefined && /^\d{1,15}$/.test(length) ? Number(length) : undefined;
};

/**
 * How an answer whose head is `head` (without its empty line) ends: `"interim"` for a 1xx
 * answer (another answer follows), the number of body bytes when known, or `"close"` (copy until
 * the server closes).
 *
 * @example
 * ```ts
 * import { answerFraming } from "./http_framing.ts";
 * answerFraming(new TextEncoder().encode("HTTP/1.1 200 OK\r\ncontent-length: 2"), false); // 2
 * ```
 */
export function answerFraming(head: Uint8Array, isHead: boolean): "interim" | "close" | number {
  const status = /^HTTP\/\d\.\d (\d{3})/.exec(latin1(head))?.[1];
  if (status === undefined) return "close";
  const code = Number(status);
  if (code >= 100 && code < 200) return "interim";
  if (isHead || code === 204 || code === 304) return 0;
  const fields = headFields(head);
  const length = contentLength(fields);
  return isChunked(fields) || length === undefined ? "close" : length;
}

/**
 * How a request whose head is `head` frames its body: its length in bytes (0 without one), or
 * `"chunked"`.
 *
 * @example
 * ```ts
 * import { requestFraming } from "./http_framing.ts";
 * requestFraming(new TextEncoder().encode("POST / HTTP/1.1\r\ncontent-length: 5")); // 5
 * ```
 */
export function requestFraming(head: Uint8Array): number | "chunked" {
  const fields = headFields(head);
  return isChunked(fields) ? "chunked" : contentLength(fields) ?? 0;
}

/**
 * `a` and `b` in one new array.
 *
 * @example
 * ```ts
 * import { concat } from "./http_framing.ts";
 * concat(new Uint8Array([1]), new Uint8Array([2])); // [1, 2]
 * ```
 */
export function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
