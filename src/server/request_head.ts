/**
 * The connection guard's reading of a request head, as pure functions over raw bytes: where the
 * head ends, whether it is one the guard and the server behind it read alike, and the head the
 * server behind gets. Nothing here decodes text: header names are compared byte by byte (ASCII,
 * case-insensitive) and every byte the guard does not add or remove is passed on unchanged.
 *
 * @module
 */

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HTAB = 0x09;
const COLON = 0x3a;

/** The header that carries the client's address to the server behind the guard. */
export const PEER_HEADER = "x-qts-peer";

/** Request headers the guard removes (it sets its own `x-qts-peer` and `connection`). */
export const STRIPPED_HEADERS: readonly string[] = [PEER_HEADER, "connection", "keep-alive"];

const encoder = new TextEncoder();
const stripped = STRIPPED_HEADERS.map((name) => encoder.encode(name));

/** `tchar` of RFC 9110 (section 5.6.2): the bytes a header name or a method may consist of. */
const TOKEN = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789") TOKEN[c.charCodeAt(0)] = 1;
for (let c = 0x41; c <= 0x5a; c++) TOKEN[c] = TOKEN[c + 0x20] = 1;

/**
 * Whether the byte `b` is a token character of RFC 9110 (`tchar`): a letter, a digit or one of
 * ``!#$%&'*+-.^_`|~``.
 *
 * @example
 * ```ts
 * import { isTokenByte } from "./request_head.ts";
 * isTokenByte(0x61); // true ("a")
 * isTokenByte(0x9b); // false
 * ```
 */
export function isTokenByte(b: number): boolean {
  return TOKEN[b] === 1;
}

/**
 * Index just past the first empty line in `bytes` (CRLF CRLF, or a bare LF where a CRLF belongs:
 * found so that such a head can be refused at once), or -1. `from` is where the bytes not yet
 * searched start (a reader that appends chunks passes the length before the last one).
 *
 * @example
 * ```ts
 * import { headEnd } from "./request_head.ts";
 * const bytes = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\nbody");
 * headEnd(bytes); // 27
 * ```
 */
export function headEnd(bytes: Uint8Array, from = 0): number {
  for (let i = Math.max(1, from - 1); i < bytes.length; i++) {
    if (bytes[i] !== LF) continue;
    if (bytes[i - 1] === LF) return i + 1;
    if (bytes[i - 1] === CR && i >= 2 && bytes[i - 2] === LF) return i + 1;
  }
  return -1;
}

/**
 * What makes a request head malformed, or undefined: every line must end in CRLF, with no other
 * CR, no NUL and no folded (indented) header line, so that the guard and the server behind read
 * the same headers (a bare LF would let a client slip a header past the guard).
 *
 * @example
 * ```ts
 * import { malformedHead } from "./request_head.ts";
 * malformedHead(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\n\r\n"));
 * // "a line ending in LF without CR"
 * ```
 */
export function malformedHead(head: Uint8Array): string | undefined {
  for (let i = 0; i < head.length; i++) {
    const b = head[i];
    if (b === 0) return "a NUL byte";
    if (b === LF && head[i - 1] !== CR) return "a line ending in LF without CR";
    if (b === CR && head[i + 1] !== LF) return "a CR not followed by LF";
    if (b === LF && i + 1 < head.length - 2 && (head[i + 1] === SP || head[i + 1] === HTAB)) {
      return "a folded header line";
    }
  }
  return undefined;
}

/** Where each line of a head starts and ends (its CRLF excluded), the final empty line left out. */
function lines(head: Uint8Array): Array<[number, number]> {
  const found: Array<[number, number]> = [];
  let start = 0;
  for (let i = 1; i < head.length; i++) {
    if (head[i] !== LF || head[i - 1] !== CR) continue;
    if (i - 1 === start) break; // the empty line: the end of the head
    found.push([start, i - 1]);
    start = i + 1;
  }
  return found;
}

/** Index of the first colon in `head[start, end)`, or -1. */
function colonAt(head: Uint8Array, start: number, end: number): number {
  for (let i = start; i < end; i++) if (head[i] === COLON) return i;
  return -1;
}

function hex(b: number): string {
  return `0x${b.toString(16).padStart(2, "0")}`;
}

/**
 * What is wrong with the header names of a well-formed head (see {@linkcode malformedHead}), or
 * undefined: each header line must start with a name of one or more token characters
 * ({@linkcode isTokenByte}) directly followed by a colon. A byte outside them (a space before the
 * colon, a byte 0x80–0xFF) would let the guard and the server behind see different names.
 *
 * @example
 * ```ts
 * import { invalidHeaderName } from "./request_head.ts";
 * const bytes = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
 * invalidHeaderName(bytes("GET / HTTP/1.1\r\nx-qts-peer\x9b 6.6.6.6:1\r\n\r\n"));
 * // "byte 0x9b at 10 in the name of header line 1"
 * ```
 */
export function invalidHeaderName(head: Uint8Array): string | undefined {
  const all = lines(head);
  for (let n = 1; n < all.length; n++) {
    const [start, end] = all[n];
    const colon = colonAt(head, start, end);
    const nameEnd = colon < 0 ? end : colon;
    for (let i = start; i < nameEnd; i++) {
      if (!isTokenByte(head[i])) {
        return `byte ${hex(head[i])} at ${i - start} in the name of header line ${n}`;
      }
    }
    if (colon < 0) return `header line ${n} without a colon`;
    if (colon === start) return `header line ${n} with an empty name`;
  }
  return undefined;
}

/** The method of the request line (a token followed by a space), or undefined. */
function requestMethod(head: Uint8Array, line: [number, number] | undefined): string | undefined {
  if (line === undefined) return undefined;
  const [start, end] = line;
  let i = start;
  while (i < end && isTokenByte(head[i])) i++;
  if (i === start || i === end || head[i] !== SP) return undefined;
  let method = "";
  for (let j = start; j < i; j++) method += String.fromCharCode(head[j]); // token bytes: ASCII
  return method;
}

/** Whether `head[start, end)` is a header line named `name` (lower-case ASCII bytes). */
function named(head: Uint8Array, start: number, end: number, name: Uint8Array): boolean {
  if (end - start <= name.length || head[start + name.length] !== COLON) return false;
  for (let i = 0; i < name.length; i++) {
    const b = head[start + i];
    // ASCII upper case to lower case; any other byte compares as it is
    if ((b >= 0x41 && b <= 0x5a ? b + 0x20 : b) !== name[i]) return false;
  }
  return true;
}

/** A head the guard passes on, or why it refuses it. */
export type ForwardedHead =
  | {
    /** Passed on. */
    readonly ok: true;
    /** The head for the server behind. */
    readonly head: Uint8Array;
    /** The request's method (ASCII token). */
    readonly method: string;
  }
  | {
    /** Refused. */
    readonly ok: false;
    /** The message of the 400 answer: what was expected and what came. */
    readonly refusal: string;
  };

/**
 * The head as the server behind gets it, from a whole request head (request line, header lines,
 * empty line: up to {@linkcode headEnd}), or why it is refused. It is refused unless it ends at
 * its first empty line, is well-formed ({@linkcode malformedHead}), starts with a request line (a method, then a space)
 * and every header name is a token ({@linkcode invalidHeaderName}). Passed on: the request
 * line, then the peer header set to `peer` and `connection: close` (so the server closes the
 * connection after its answer, and the next request comes through the guard on a new one), then
 * the client's header lines byte for byte and in order, but for its own headers of the names in
 * {@linkcode STRIPPED_HEADERS} (compared byte by byte, ASCII case-insensitive).
 *
 * @example
 * ```ts
 * import { forwardedHead } from "./request_head.ts";
 * const head = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\nX-QTS-Peer: 6.6.6.6:1\r\n\r\n");
 * const forwarded = forwardedHead(head, "127.0.0.1:5000");
 * if (forwarded.ok) new TextDecoder().decode(forwarded.head);
 * // "GET / HTTP/1.1\r\nx-qts-peer: 127.0.0.1:5000\r\nconnection: close\r\nHost: x\r\n\r\n"
 * ```
 */
export function forwardedHead(head: Uint8Array, peer: string): ForwardedHead {
  const malformed = malformedHead(head);
  if (malformed !== undefined) {
    return { ok: false, refusal: `expected request headers in CRLF lines, got ${malformed}` };
  }
  const n = head.length;
  // Well-formed: an end found at n is CRLF CRLF, and no empty line comes before it.
  if (headEnd(head) !== n) {
    return { ok: false, refusal: "expected request headers ending at their first empty line" };
  }
  const all = lines(head);
  const method = requestMethod(head, all[0]);
  if (method === undefined) {
    return {
      ok: false,
      refusal: "expected a request line (a method of token characters, a space, a target, " +
        "a space, a version), got " +
        (all.length === 0 ? "an empty line" : "a line without a method and a space"),
    };
  }
  const badName = invalidHeaderName(head);
  if (badName !== undefined) {
    return {
      ok: false,
      refusal: "expected header names of token characters (letters, digits and " +
        "!#$%&'*+-.^_`|~, RFC 9110) directly followed by a colon, got " + badName,
    };
  }
  const added = encoder.encode(`${PEER_HEADER}: ${peer}\r\nconnection: close\r\n`);
  const kept = all.slice(1).filter(([start, end]) =>
    !stripped.some((name) => named(head, start, end, name))
  );
  const [lineStart, lineEnd] = all[0];
  const size = lineEnd - lineStart + 2 + added.length +
    kept.reduce((sum, [start, end]) => sum + end - start + 2, 0) + 2;
  const out = new Uint8Array(size);
  let at = 0;
  const put = (bytes: Uint8Array) => {
    out.set(bytes, at);
    at += bytes.length;
  };
  put(head.subarray(lineStart, lineEnd + 2));
  put(added);
  for (const [start, end] of kept) put(head.subarray(start, end + 2));
  put(head.subarray(n - 2));
  return { ok: true, head: out, method };
}
