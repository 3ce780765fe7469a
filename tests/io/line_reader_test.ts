import assert from "node:assert/strict";
import { readLines, splitLines } from "../../src/io/line_reader.ts";

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

Deno.test("a large chunk, decoded in blocks, gives exactly the lines of small reads (every line end, long and invalid lines)", async () => {
  // About 600 KiB: lines of varied length and line ends, a 100 KiB line (longer than a block),
  // non-ASCII text and an invalid byte, so block cuts land among all of them.
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [];
  const ends = ["\n", "\r\n", "\r", "\r\r\n", "\n\n"];
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
  for (let i = 0; i < 4000; i++) {
    const text = i === 1500
      ? "y".repeat(100_000)
      : `{"i":${i},"s":"한글${"x".repeat(next() % 200)}"}`;
    parts.push(encoder.encode(text));
    if (i % 997 === 5) parts.push(new Uint8Array([0xff]));
    parts.push(encoder.encode(ends[next() % ends.length]));
  }
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (bytes.set(p, at), at + p.length), 0);
  const small = [];
  for (let at = 0; at < bytes.length; at += 1000) small.push(bytes.slice(at, at + 1000));
  const expected = await collect(streamOf(small));
  assert.ok(expected.length > 4000);
  assert.deepEqual(await collect(streamOf([bytes])), expected);
  assert.deepEqual(splitLines(bytes, { startOfInput: true, endOfInput: true }), expected);
});

Deno.test("bytes are reported; an over-long line is skipped with its number and the next one read", async () => {
  let seen = 0;
  await collect(streamOf([new Uint8Array([0x61, 0x0a]), new Uint8Array([0x62])]), {
    onBytes: (n: number) => seen += n,
  });
  assert.equal(seen, 3);
  const long = "x".repeat(100);
  const bytes = new TextEncoder().encode(`ok\n${long}\nnext\n${long}`);
  for (const cut of [1, 5, 7, 50, 104, bytes.length - 1]) {
    const lines = await collect(streamOf([bytes.subarray(0, cut), bytes.subarray(cut)]), {
      maxLineBytes: 10,
    });
    assert.deepEqual(lines.map((l) => [l.number, l.text, l.problem ?? ""]), [
      [1, "ok", ""],
      [
        2,
        "",
        "expected a line of at most 10 bytes (--max-line-bytes), got 100 bytes: " +
        "skipped without reading it",
      ],
      [3, "next", ""],
      [
        4,
        "",
        "expected a line of at most 10 bytes (--max-line-bytes), got 100 bytes: " +
        "skipped without reading it",
      ],
    ], `cut ${cut}`);
  }
  const exact = await collect(streamOf([new TextEncoder().encode("0123456789\n")]), {
    maxLineBytes: 10,
  });
  assert.deepEqual(exact.map((l) => l.text), ["0123456789"], "a line of exactly the limit is kept");
});

Deno.test("CR-only and mixed line ends: each of \\n, \\r\\n and \\r ends one line, across chunks", async () => {
  const bytes = new TextEncoder().encode("a\rb\r\nc\nd\r\re");
  for (let cut = 0; cut <= bytes.length; cut++) {
    const lines = await collect(streamOf([bytes.subarray(0, cut), bytes.subarray(cut)]));
    assert.deepEqual(
      lines.map((l) => [l.number, l.text, l.terminated]),
      [[1, "a", true], [2, "b", true], [3, "c", true], [4, "d", true], [5, "", true], [
        6,
        "e",
        false,
      ]],
      `cut ${cut}`,
    );
  }
});

Deno.test("invalid UTF-8 is reported with its place and the raw bytes kept; a leading BOM is dropped", async () => {
  const bad = new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x7d]);
  const lines = await collect(
    streamOf([new Uint8Array([0xef, 0xbb, 0xbf, 0x61, 0x0a]), bad, new Uint8Array([0x0a, 0x62])]),
  );
  assert.equal(lines[0].text, "a", "BOM dropped");
  assert.equal(lines[1].problem, "expected UTF-8 text, got an invalid byte at byte 3");
  assert.deepEqual(lines[1].bytes, bad);
  assert.equal(lines[1].text, '{"\ufffd"}');
  assert.deepEqual([lines[2].text, lines[2].problem], ["b", undefined]);
  const overlong = await collect(streamOf([new Uint8Array([0x61, 0xc0, 0xaf])]));
  assert.match(overlong[0].problem ?? "", /byte 2$/);
  const bomLater = await collect(streamOf([new TextEncoder().encode("a\n\ufeffb")]));
  assert.equal(bomLater[1].text, "\ufeffb", "a BOM inside the stream is data");
});

Deno.test("a 60 MB line arriving in 64 KiB chunks is skipped without being kept; the next line is read", async () => {
  const chunk = new Uint8Array(64 * 1024).fill(0x78);
  const stream = (chunks: number) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < chunks; i++) controller.enqueue(chunk);
        controller.enqueue(new TextEncoder().encode("\nok\n"));
        controller.close();
      },
    });
  const lines = await collect(stream(960)); // 60 MiB in one line
  assert.deepEqual(lines.map((l) => [l.number, l.text.length, l.problem !== undefined]), [
    [1, 0, true],
    [2, 2, false],
  ]);
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
