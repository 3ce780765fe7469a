import assert from "node:assert/strict";
import fc from "fast-check";
import { concatBytes } from "../../src/io/line_reader.ts";
import { BodyBuffers } from "../../src/server/body_buffers.ts";
import { readBoundedBody, RequestRefused } from "../../src/server/request_body.ts";

const encoder = new TextEncoder();

/** A POST whose body comes as these chunks (a stream: no Content-Length unless given). */
function post(chunks: readonly Uint8Array[], headers: Record<string, string> = {}): Request {
  return new Request("http://127.0.0.1/v1/snapshots", {
    method: "POST",
    headers,
    body: ReadableStream.from(chunks),
  });
}

/**
 * A POST whose body is a byte stream yielding these chunks (as the server's bodies are: read into
 * the reader's own buffer), with a Content-Length when `declared`.
 */
function bytePost(chunks: readonly Uint8Array[], declared: boolean): Request {
  const pieces = chunks.filter((chunk) => chunk.length > 0); // a byte stream takes no empty chunk
  const length = pieces.reduce((n, c) => n + c.length, 0);
  return new Request("http://127.0.0.1/v1/snapshots", {
    method: "POST",
    headers: declared ? { "content-length": String(length) } : {},
    body: new ReadableStream({
      type: "bytes",
      pull(controller) {
        const next = pieces.shift();
        if (next === undefined) {
          controller.close();
          controller.byobRequest?.respond(0); // a read waiting with its buffer is told the end
        } else controller.enqueue(next.slice());
      },
    }),
  });
}

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const compressed = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(compressed).arrayBuffer());
}

async function refusal(promise: Promise<unknown>): Promise<RequestRefused> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof RequestRefused, `expected a RequestRefused, got ${error}`);
    return error;
  }
  assert.fail("expected the body to be refused");
}

const LIMITS = { maxBodyBytes: 1024, maxLines: 4 };

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  return concatBytes(chunks, chunks.reduce((n, c) => n + c.length, 0));
}

function lineCount(bytes: Uint8Array): number {
  let lines = bytes.filter((b) => b === 0x0a).length;
  if (bytes.length > 0 && bytes[bytes.length - 1] !== 0x0a) lines++;
  return lines;
}

Deno.test("readBoundedBody: a body without a body is empty; a plain body comes back byte for byte", async () => {
  const empty = new Request("http://127.0.0.1/", { method: "POST" });
  assert.equal((await readBoundedBody(empty, LIMITS)).length, 0);
  const body = encoder.encode('{"a":1}\n{"b":2}\n');
  assert.deepEqual(
    await readBoundedBody(post([body.subarray(0, 3), body.subarray(3)]), LIMITS),
    body,
  );
});

Deno.test("readBoundedBody: a declared Content-Length over the limit is refused (413) before a byte is read", async () => {
  let pulled = false;
  const request = new Request("http://127.0.0.1/", {
    method: "POST",
    headers: { "content-length": "1025" },
    body: new ReadableStream({
      pull() {
        pulled = true;
      },
    }, { highWaterMark: 0 }),
  });
  const refused = await refusal(readBoundedBody(request, LIMITS));
  assert.equal(refused.status, 413);
  assert.match(refused.message, /at most 1024 bytes, got 1025 \(Content-Length\)/);
  assert.equal(pulled, false);
});

Deno.test("readBoundedBody: an encoding other than gzip or identity is refused (415)", async () => {
  const refused = await refusal(
    readBoundedBody(post([encoder.encode("{}\n")], { "content-encoding": "br" }), LIMITS),
  );
  assert.equal(refused.status, 415);
  assert.match(refused.message, /got br/);
});

Deno.test("readBoundedBody: gzip (any case, padded) is inflated; a broken gzip body is refused (400)", async () => {
  const body = encoder.encode('{"a":1}\n{"b":2}\n');
  const zipped = await gzip(body);
  const request = post([zipped], { "content-encoding": " GZip " });
  assert.deepEqual(await readBoundedBody(request, LIMITS), body);
  const broken = zipped.slice(0, zipped.length - 6);
  broken[12] ^= 0xff;
  const refused = await refusal(
    readBoundedBody(post([broken], { "content-encoding": "gzip" }), LIMITS),
  );
  assert.equal(refused.status, 400);
  assert.match(refused.message, /expected a gzip body/);
});

Deno.test("readBoundedBody: a gzip bomb is stopped at the decompressed limit (413), not inflated whole", async () => {
  const bomb = await gzip(new Uint8Array(64 * 1024 * 1024)); // 64 MiB of zeros, ~64 KiB zipped
  const refused = await refusal(
    readBoundedBody(post([bomb], { "content-encoding": "gzip" }), {
      maxBodyBytes: 1024 * 1024,
      maxLines: 10,
    }),
  );
  assert.equal(refused.status, 413);
  assert.match(refused.message, /\(decompressed\), got more/);
});

Deno.test("readBoundedBody: a body the client stops sending is refused (400) as ended early", async () => {
  const request = new Request("http://127.0.0.1/", {
    method: "POST",
    body: new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode("{}\n"));
      },
      pull(controller) {
        controller.error(new Error("connection reset"));
      },
    }),
  });
  const refused = await refusal(readBoundedBody(request, LIMITS));
  assert.equal(refused.status, 400);
  assert.match(refused.message, /connection ended first/);
});

Deno.test("readBoundedBody: when the signal aborts before the body is all there, 408, and the body is cancelled", async () => {
  const controller = new AbortController();
  let cancelled = false;
  let pulls = 0;
  const request = new Request("http://127.0.0.1/", {
    method: "POST",
    body: new ReadableStream<Uint8Array>({
      pull(stream) {
        pulls++;
        // The first piece comes; then the client goes quiet and the deadline passes.
        if (pulls === 1) return stream.enqueue(encoder.encode("{}\n"));
        controller.abort();
        return new Promise(() => {}); // never more
      },
      cancel() {
        cancelled = true;
      },
    }, { highWaterMark: 0 }),
  });
  const refused = await refusal(readBoundedBody(request, LIMITS, controller.signal));
  assert.equal(refused.status, 408);
  assert.match(refused.message, /too slowly/);
  assert.equal(cancelled, true);
});

Deno.test("readBoundedBody: returns the body exactly when it is within both limits, else 413, from chunks, gzip or a byte stream read in place (property)", async () => {
  // Empty chunks included: one at the end must not hide an unended last line from the count.
  const chunk = fc.uint8Array({ maxLength: 64 }).map((bytes) =>
    // Mostly text, with line ends in it.
    bytes.map((b) => (b % 5 === 0 ? 0x0a : 0x61 + (b % 26)))
  );
  const buffers = new BodyBuffers(2);
  await fc.assert(
    fc.asyncProperty(
      fc.array(chunk, { maxLength: 8 }),
      fc.integer({ min: 1, max: 300 }),
      fc.integer({ min: 1, max: 40 }),
      fc.constantFrom("chunks", "gzip", "bytes", "declared bytes"),
      async (chunks, maxBodyBytes, maxLines, kind) => {
        const body = concat(chunks);
        const limits = { maxBodyBytes, maxLines };
        const request = kind === "gzip"
          ? post([await gzip(body)], { "content-encoding": "gzip" })
          : kind === "chunks"
          ? post(chunks)
          : bytePost(chunks, kind === "declared bytes");
        const within = body.length <= maxBodyBytes && lineCount(body) <= maxLines;
        if (within) {
          // Read into the buffers earlier bodies (longer ones, too) were read into.
          const read = await readBoundedBody(request, limits, undefined, buffers);
          assert.deepEqual(read, body);
          buffers.give(read);
        } else {
          const refused = await refusal(readBoundedBody(request, limits, undefined, buffers));
          assert.equal(refused.status, 413);
        }
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("readBoundedBody: a byte stream read in place: a client that stops sending is refused (400), one too slow (408) with its body cancelled", async () => {
  const ended = new Request("http://127.0.0.1/", {
    method: "POST",
    body: new ReadableStream({
      type: "bytes",
      start(controller) {
        controller.enqueue(encoder.encode("{}\n"));
      },
      pull(controller) {
        controller.error(new Error("connection reset"));
      },
    }),
  });
  const early = await refusal(readBoundedBody(ended, LIMITS));
  assert.equal(early.status, 400);
  assert.match(early.message, /connection ended first/);
  const deadline = new AbortController();
  let cancelled = false;
  let pulls = 0;
  const slow = new Request("http://127.0.0.1/", {
    method: "POST",
    headers: { "content-length": "100" },
    body: new ReadableStream({
      type: "bytes",
      pull(controller) {
        if (++pulls === 1) return controller.enqueue(encoder.encode("{}\n"));
        deadline.abort();
        return new Promise(() => {});
      },
      cancel() {
        cancelled = true;
      },
    }),
  });
  const late = await refusal(readBoundedBody(slow, LIMITS, deadline.signal));
  assert.equal(late.status, 408);
  assert.equal(cancelled, true);
});

/** A request whose body stream yields exactly these chunks, empty ones included. */
function rawChunks(texts: string[]): Request {
  const pieces = texts.map((text) => encoder.encode(text));
  return {
    headers: new Headers(),
    body: new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = pieces.shift();
        if (next === undefined) controller.close();
        else controller.enqueue(next);
      },
    }),
  } as unknown as Request;
}

Deno.test("readBoundedBody: an empty last chunk neither hides an unended last line nor adds one", async () => {
  const limits = { maxBodyBytes: 64, maxLines: 1 };
  const refused = await refusal(readBoundedBody(rawChunks(["a\nb", ""]), limits));
  assert.equal(refused.status, 413);
  const body = await readBoundedBody(rawChunks(["a\n", "", ""]), limits);
  assert.deepEqual(body, encoder.encode("a\n"));
});
