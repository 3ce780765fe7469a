/**
 * The connection guard's framing (`http_framing.ts`) and its copy of request bodies
 * (`relay.ts`'s `relayRequest`): example tests and fast-check properties, the latter against a
 * plain model of RFC 9112's rules and over real sockets.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  answerFraming,
  blankLineAt,
  concat,
  LAST_CHUNK,
  plainAnswer,
  requestFraming,
} from "../../src/server/http_framing.ts";
import { relayRequest } from "../../src/server/relay.ts";
import { socketPair } from "../helpers/net.ts";

/** Each char of `text` (U+0000–U+00FF) as one byte. */
const bytes = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));

/** A header value of any bytes but CR and LF (what a well-formed head may carry). */
const value = fc.uint8Array({ maxLength: 12 }).map((b) =>
  String.fromCharCode(...b.filter((x) => x !== 0x0d && x !== 0x0a))
);

/** A header name in any ASCII case. */
const anyCase = (name: string) =>
  fc.array(fc.boolean(), { minLength: name.length, maxLength: name.length }).map((upper) =>
    [...name].map((c, i) => upper[i] ? c.toUpperCase() : c).join("")
  );

Deno.test("requestFraming: a Content-Length of digits is the body's length, chunked wins over it, anything else is no body", () => {
  const head = (fields: string) => bytes(`POST /v1/snapshots HTTP/1.1\r\n${fields}`);
  assert.equal(requestFraming(head("Content-Length: 42")), 42);
  assert.equal(requestFraming(head("content-length:\t7 ")), 7);
  assert.equal(
    requestFraming(head("Transfer-Encoding: gzip, Chunked\r\nContent-Length: 4")),
    "chunked",
  );
  assert.equal(requestFraming(head("Content-Length: -1")), 0);
  assert.equal(requestFraming(head("Content-Length: 1e3")), 0);
  assert.equal(requestFraming(head("Content-Length:\xa03")), 0, "0xa0 is no space");
  assert.equal(requestFraming(head("X-Content-Length: 3")), 0);
  assert.equal(requestFraming(head("Transfer-Encoding: chunkedx")), 0);
  assert.equal(requestFraming(bytes("GET / HTTP/1.1")), 0);
});

Deno.test("requestFraming: matches a plain reading of the head's fields, whatever the case of the names and the bytes of other values (property)", () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.constantFrom("x-a", "host", "x-length"), value), { maxLength: 4 }),
      fc.option(fc.tuple(anyCase("content-length"), fc.nat({ max: 10_000_000 }))),
      fc.option(
        fc.tuple(
          anyCase("transfer-encoding"),
          fc.constantFrom("chunked", "CHUNKED", "gzip", "gzip, chunked", "chunked , x"),
        ),
      ),
      (others, length, encoding) => {
        const fields = others.map(([name, v]) => `${name}: ${v}`);
        if (length !== null) fields.push(`${length[0]}: ${length[1]}`);
        if (encoding !== null) fields.push(`${encoding[0]}: ${encoding[1]}`);
        const head = bytes(`POST / HTTP/1.1\r\n${fields.join("\r\n")}`);
        const chunked = encoding !== null && encoding[1].toLowerCase().split(",")
          .some((coding) => coding.trim() === "chunked");
        assert.equal(requestFraming(head), chunked ? "chunked" : length?.[1] ?? 0);
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("answerFraming: 1xx is interim; HEAD, 204 and 304 have no body; a length is a length; chunked, none or a bad status is read until close", () => {
  const answer = (text: string) => bytes(text);
  assert.equal(answerFraming(answer("HTTP/1.1 100 Continue"), false), "interim");
  assert.equal(answerFraming(answer("HTTP/1.1 200 OK\r\ncontent-length: 9"), true), 0);
  assert.equal(answerFraming(answer("HTTP/1.1 204 No Content\r\ncontent-length: 9"), false), 0);
  assert.equal(answerFraming(answer("HTTP/1.1 304 Not Modified"), false), 0);
  assert.equal(answerFraming(answer("HTTP/1.1 413 Too Large\r\nContent-Length: 12"), false), 12);
  assert.equal(
    answerFraming(
      answer("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ncontent-length: 3"),
      false,
    ),
    "close",
  );
  assert.equal(
    answerFraming(answer("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream"), false),
    "close",
  );
  assert.equal(answerFraming(answer("HTP/1.1 200 OK\r\ncontent-length: 1"), false), "close");
});

Deno.test("plainAnswer: a whole answer whose Content-Length counts its UTF-8 body; answerFraming reads it back", () => {
  const answer = plainAnswer("503 Service Unavailable", "retry — later");
  const end = blankLineAt(answer);
  assert.ok(end > 0);
  assert.equal(answerFraming(answer.subarray(0, end), false), answer.length - (end + 4));
  assert.match(new TextDecoder().decode(answer), /connection: close\r\n/);
});

Deno.test("blankLineAt is the first CRLF CRLF of any bytes, as a string search finds it; concat joins (property)", () => {
  const piece = fc.oneof(
    fc.constantFrom("\r", "\n", "\r\n", "\r\n\r\n", "a", "\n\r"),
    fc.uint8Array({ maxLength: 4 }).map((b) => String.fromCharCode(...b)),
  );
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 20 }), fc.array(piece, { maxLength: 5 }), (a, b) => {
      const left = a.join("");
      const right = b.join("");
      assert.equal(blankLineAt(bytes(left)), left.indexOf("\r\n\r\n"));
      assert.deepEqual(concat(bytes(left), bytes(right)), bytes(left + right));
    }),
    { numRuns: 500 },
  );
});

/** Everything `conn` sends until it ends its side. */
async function readAll(conn: Deno.Conn): Promise<Uint8Array> {
  let all: Uint8Array = new Uint8Array(0);
  const buffer = new Uint8Array(4096);
  for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
    all = concat(all, buffer.subarray(0, n));
  }
  return all;
}

/**
 * A client sends `body` in pieces of `sizes` through `relayRequest` (the head already read,
 * `tail` of it read with the head), then shuts its side; returns the ending and what the server
 * behind got.
 */
async function relayBody(
  body: Uint8Array,
  tailLength: number,
  framing: number | "chunked",
  sizes: number[],
): Promise<{ ending: string; got: Uint8Array }> {
  const [client, guardDown] = await socketPair();
  const [guardUp, server] = await socketPair();
  const tail = body.subarray(0, tailLength);
  const got = readAll(server);
  await guardUp.write(tail); // as the guard does with what came with the head
  const relaying = relayRequest(guardDown, guardUp, tail.length, framing, tail);
  for (let at = tailLength, i = 0; at < body.length; i++) {
    const piece = body.subarray(at, at + sizes[i % sizes.length]);
    at += piece.length;
    await client.write(piece);
  }
  await client.closeWrite();
  const ending = await relaying;
  guardUp.close();
  const result = { ending, got: await got };
  for (const conn of [client, guardDown, server]) conn.close();
  return result;
}

Deno.test("relayRequest: any body, in any pieces, reaches the server behind byte for byte; a client that shuts its side is 'complete' once it sent its Content-Length, else 'eof' (property, real sockets)", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.uint8Array({ maxLength: 3000 }),
      fc.nat({ max: 3 }),
      fc.integer({ min: 0, max: 3000 }),
      fc.array(fc.integer({ min: 1, max: 900 }), { minLength: 1, maxLength: 6 }),
      async (body, shortBy, tailLength, sizes) => {
        const declared = body.length + shortBy; // shortBy > 0: the client hangs up early
        const { ending, got } = await relayBody(
          body,
          Math.min(tailLength, body.length),
          declared,
          sizes,
        );
        assert.deepEqual(got, body);
        assert.equal(ending, shortBy === 0 ? "complete" : "eof");
      },
    ),
    { numRuns: 30 },
  );
});

Deno.test("relayRequest: a chunked body is 'complete' when the client shuts its side after its last chunk, 'eof' when it stops before (any pieces, the end split anywhere)", async () => {
  const whole = bytes("5\r\nhello\r\n3\r\nabc\r\n");
  await fc.assert(
    fc.asyncProperty(
      fc.boolean(),
      fc.integer({ min: 0, max: 40 }),
      fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }),
      async (ended, tailLength, sizes) => {
        const body = ended ? concat(whole, LAST_CHUNK) : whole;
        const { ending, got } = await relayBody(
          body,
          Math.min(tailLength, body.length),
          "chunked",
          sizes,
        );
        assert.deepEqual(got, body);
        assert.equal(ending, ended ? "complete" : "eof");
      },
    ),
    { numRuns: 20 },
  );
});

Deno.test("relayRequest: 'done' when the exchange is over (the client's connection closed here), 'error' never for that", async () => {
  const [client, guardDown] = await socketPair();
  const [guardUp, server] = await socketPair();
  const relaying = relayRequest(guardDown, guardUp, 0, 10);
  await client.write(bytes("01234"));
  await new Promise((r) => setTimeout(r, 20));
  guardDown.close(); // the answer was complete: the guard closes the client's connection
  assert.equal(await relaying, "done");
  for (const conn of [client, guardUp, server]) conn.close();
});
