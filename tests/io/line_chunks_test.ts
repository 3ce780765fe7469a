/**
 * The reader of parallel recording: chunks cut from any input, split by the workers' splitter
 * and numbered by the writer, give exactly the lines the single-thread reader gives — same
 * text, numbers, line ends, problems and raw bytes — whatever the reads, chunk size and limit,
 * from a byte stream (BYOB reads into the chunk's buffer, as from a file) or any other stream,
 * into new buffers or reused ones still holding old bytes.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { readLines, splitLines, type TextLine, tooLongProblem } from "../../src/io/line_reader.ts";
import { readLineChunks } from "../../src/io/line_chunks.ts";

const encoder = new TextEncoder();

/** `bytes` as a stream that hands them over in reads of the given sizes. */
function streamOf(bytes: Uint8Array, reads: readonly number[]): ReadableStream<Uint8Array> {
  const pieces: Uint8Array[] = [];
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const size = Math.max(1, reads[i % Math.max(1, reads.length)] ?? bytes.length);
    pieces.push(bytes.slice(at, at + size));
    at += size;
  }
  return ReadableStream.from(pieces);
}

/** `bytes` as a byte stream (a file's kind) that answers BYOB reads with at most the given sizes. */
function byteStreamOf(bytes: Uint8Array, reads: readonly number[]): ReadableStream<Uint8Array> {
  let at = 0;
  let i = 0;
  return new ReadableStream({
    type: "bytes",
    pull(controller) {
      const request = controller.byobRequest!;
      if (at >= bytes.length) {
        controller.close();
        request.respond(0);
        return;
      }
      const view = request.view as Uint8Array;
      const size = Math.max(1, reads[i++ % Math.max(1, reads.length)] ?? bytes.length);
      const n = Math.min(size, view.byteLength, bytes.length - at);
      view.set(bytes.subarray(at, at + n));
      at += n;
      request.respond(n);
    },
  });
}

/** Reused buffers as a pool hands them out: larger than asked and full of old line ends. */
const dirtyBuffer = (size: number) => new Uint8Array(size + (size % 7)).fill(0x0a);

const plain = (line: TextLine) => ({
  text: line.text,
  number: line.number,
  terminated: line.terminated,
  problem: line.problem,
  bytes: line.bytes === undefined ? undefined : [...line.bytes],
});

async function wholeReader(bytes: Uint8Array, max: number) {
  const out = [];
  for await (const line of readLines(streamOf(bytes, [65536]), { maxLineBytes: max })) {
    out.push(plain(line));
  }
  return out;
}

async function chunked(
  bytes: Uint8Array,
  reads: number[],
  chunkBytes: number,
  max: number,
  kind: "byte stream" | "stream" = "stream",
  buffer?: (size: number) => Uint8Array,
) {
  const out = [];
  let base = 0;
  const stream = kind === "stream" ? streamOf(bytes, reads) : byteStreamOf(bytes, reads);
  for await (
    const chunk of readLineChunks(stream, { chunkBytes, maxLineBytes: max, buffer })
  ) {
    if (chunk.kind === "too-long") {
      out.push(plain({
        text: "",
        number: ++base,
        terminated: chunk.terminated,
        problem: tooLongProblem(max, chunk.bytes),
      }));
      continue;
    }
    const lines = splitLines(chunk.bytes, { ...chunk, maxLineBytes: max });
    for (const line of lines) out.push(plain({ ...line, number: base + line.number }));
    base += lines.length;
  }
  return out;
}

const lineText = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 30 }),
  fc.string({ unit: "binary", maxLength: 30 }),
  fc.constantFrom("x".repeat(70), "한글".repeat(20), "\ufeffbom", "\ufffd"),
);

const input = fc.tuple(
  fc.boolean(),
  fc.array(fc.tuple(lineText, fc.constantFrom("\n", "\r\n", "\r", "\r\r\n", "")), {
    maxLength: 20,
  }),
  fc.uint8Array({ maxLength: 12 }),
).map(([bom, lines, noise]) => {
  const text = encoder.encode(lines.map(([l, end]) => l + end).join(""));
  const out = new Uint8Array((bom ? 3 : 0) + text.length + noise.length);
  if (bom) out.set([0xef, 0xbb, 0xbf]);
  out.set(text, bom ? 3 : 0);
  out.set(noise, out.length - noise.length);
  return out;
});

Deno.test("cut into chunks and split apart, any input gives exactly the lines of the one-thread reader", async () => {
  await fc.assert(
    fc.asyncProperty(
      input,
      fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 5 }),
      fc.integer({ min: 1, max: 120 }),
      fc.integer({ min: 1, max: 90 }),
      fc.constantFrom("byte stream" as const, "stream" as const),
      fc.boolean(),
      async (bytes, reads, chunkBytes, max, kind, reused) => {
        assert.deepEqual(
          await chunked(bytes, reads, chunkBytes, max, kind, reused ? dirtyBuffer : undefined),
          await wholeReader(bytes, max),
        );
      },
    ),
    { numRuns: 2000 },
  );
});

Deno.test("a line longer than the limit is counted, not kept: the chunks hold only the lines around it", async () => {
  const long = "y".repeat(10_000);
  const bytes = encoder.encode(`a\n${long}\r\nb\n`);
  const chunks = [];
  for await (
    const chunk of readLineChunks(streamOf(bytes, [100]), { chunkBytes: 50, maxLineBytes: 64 })
  ) chunks.push(chunk);
  assert.deepEqual(chunks.map((c) => c.kind === "lines" ? new TextDecoder().decode(c.bytes) : c), [
    "a\n",
    { kind: "too-long", bytes: 10_000, terminated: true },
    "b\n",
  ]);
});
