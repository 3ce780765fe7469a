import assert from "node:assert/strict";
import { readLines } from "../../src/io/line_reader.ts";

function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return ReadableStream.from(chunks);
}

async function collect(stream: ReadableStream<Uint8Array>, options = {}) {
  const out = [];
  for await (const line of readLines(stream, options)) out.push(line);
  return out;
}

Deno.test("lines are numbered, CRLF is stripped, a torn last line is marked", async () => {
  const bytes = new TextEncoder().encode("a\r\nb\n\nlast");
  const lines = await collect(streamOf([bytes]));
  assert.deepEqual(lines, [
    { text: "a", number: 1, terminated: true },
    { text: "b", number: 2, terminated: true },
    { text: "", number: 3, terminated: true },
    { text: "last", number: 4, terminated: false },
  ]);
});

Deno.test("multi-byte UTF-8 split across every chunk boundary decodes intact", async () => {
  const text = '{"s":"한글 ✓ 😀"}\n{"s":"유니코드"}\n';
  const bytes = new TextEncoder().encode(text);
  for (let cut = 1; cut < bytes.length; cut++) {
    const lines = await collect(streamOf([bytes.subarray(0, cut), bytes.subarray(cut)]));
    assert.deepEqual(
      lines.map((l) => l.text),
      ['{"s":"한글 ✓ 😀"}', '{"s":"유니코드"}'],
      `cut ${cut}`,
    );
  }
  const single = await collect(streamOf([...bytes].map((b) => new Uint8Array([b]))));
  assert.equal(single.length, 2);
});

Deno.test("bytes are reported and an over-long line throws with its number", async () => {
  let seen = 0;
  await collect(streamOf([new Uint8Array([0x61, 0x0a]), new Uint8Array([0x62])]), {
    onBytes: (n: number) => seen += n,
  });
  assert.equal(seen, 3);
  await assert.rejects(
    collect(streamOf([new TextEncoder().encode("ok\n" + "x".repeat(100))]), { maxLineLength: 10 }),
    /line 2: expected a line of at most 10 characters/,
  );
});

Deno.test("an abort signal ends the lines even while a read is pending", async () => {
  const controller = new AbortController();
  let pull = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      if (pull++ === 0) c.enqueue(new TextEncoder().encode("one\n"));
      // afterwards: never enqueue, like an idle terminal
      return new Promise(() => {});
    },
  });
  const lines = [];
  for await (const line of readLines(stream, { signal: controller.signal })) {
    lines.push(line.text);
    setTimeout(() => controller.abort(), 10);
  }
  assert.deepEqual(lines, ["one"]);
});
