/**
 * The reader of parallel recording: chunks cut from any input, split by the workers' splitter
 * and numbered by the writer, give exactly the lines the single-thread reader gives — same
 * text, numbers, line ends, problems and raw bytes — whatever the reads, chunk size and limit.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { readLines, splitLines, type TextLine, tooLongProblem } from "../../src/io/line_reader.ts";
import { readLineChunks } from "../../src/parallel/line_chunks.ts";

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

async function chunked(bytes: Uint8Array, reads: number[], chunkBytes: number, max: number) {
  const out = [];
  let base = 0;
  for await (
    const chunk of readLineChunks(streamOf(bytes, reads), { chunkBytes, maxLineBytes: max })
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
      async (bytes, reads, chunkBytes, max) => {
        assert.deepEqual(
          await chunked(bytes, reads, chunkBytes, max),
          await wholeReader(bytes, max),
        );
      },
    ),
    { numRuns: 1000 },
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
