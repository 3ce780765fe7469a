import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { ChunkBuffers } from "../../src/parallel/chunk_buffers.ts";
import { messageChunks } from "../../src/parallel/message_chunks.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

Deno.test("message chunks: messages ready at once share a chunk, cut when none is ready or it is full; one holding a line end or a BOM travels alone, in its place; numbers and handles follow", async () => {
  async function* messages() {
    for (const [n, text] of [[11, "a"], [12, "b"], [13, "c"]] as const) yield { n, text };
    await new Promise((r) => setTimeout(r, 30)); // a pause: the chunk so far is cut
    yield { n: 14, text: '{"x":\n1}' };
    yield { n: 15, text: "\ufeffd" };
    yield { n: 16, text: "e".repeat(40) };
    yield { n: 17, text: "f".repeat(40) }; // does not fit beside the one before (64 bytes)
    yield { n: 18, text: "" };
  }
  const written: string[][] = [];
  const chunks = [];
  for await (
    const chunk of messageChunks(
      messages(),
      (m) => ({ data: encoder.encode(m.text), number: m.n, handle: `ack-${m.n}` }),
      { buffers: new ChunkBuffers(4, 64), chunkBytes: 64, onWritten: (h) => written.push([...h]) },
    )
  ) {
    chunks.push(chunk);
    chunk.written?.();
  }
  assert.deepEqual(
    chunks.map((c) => [
      c.kind,
      c.kind === "lines" ? decoder.decode(c.bytes, { stream: true }) : c.line.text,
      c.numbers,
    ]),
    [
      ["lines", "a\nb\nc\n", [11, 12, 13]],
      ["line", '{"x":\n1}', [14]],
      ["line", "\ufeffd", [15]], // kept as it came, as one thread keeps it
      ["lines", "e".repeat(40) + "\n", [16]],
      ["lines", "f".repeat(40) + "\n\n", [17, 18]],
    ],
  );
  assert.deepEqual(written, [
    ["ack-11", "ack-12", "ack-13"],
    ["ack-14"],
    ["ack-15"],
    ["ack-16"],
    ["ack-17", "ack-18"],
  ]);
});

Deno.test("message chunks: a message longer than the workers' line limit is judged whole on the main thread", async () => {
  const long = "x".repeat(100);
  const chunks = [];
  for await (
    const chunk of messageChunks(
      ReadableStream.from([{ text: "a" }, { text: long }, { text: "b" }]),
      (m) => ({ data: encoder.encode(m.text), number: m.text.length, handle: m.text }),
      {
        buffers: new ChunkBuffers(4, 64),
        chunkBytes: 64,
        maxLineBytes: 50,
        onWritten: () => {},
      },
    )
  ) chunks.push(chunk);
  assert.deepEqual(chunks.map((c) => [c.kind, c.numbers]), [
    ["lines", [1]],
    ["line", [100]],
    ["lines", [1]],
  ]);
});

Deno.test("message chunks with nextReady: a burst the source holds goes into one chunk without a turn per message, and the chunk is still cut when the source goes quiet; a Buffer holding a line end travels alone", async () => {
  // A source like the NATS client's: messages arrive in bursts into a queue it can count.
  const queue: Buffer[] = [];
  let wake: (() => void) | undefined;
  let pushedSecond = -1;
  const arrive = (texts: string[]) => {
    for (const text of texts) queue.push(Buffer.from(text));
    wake?.();
  };
  async function* messages() {
    while (true) {
      while (queue.length === 0) await new Promise<void>((r) => wake = r);
      const data = queue.shift()!;
      if (data.length === 0) return;
      yield data;
    }
  }
  arrive(["a", "b", "c", "d"]);
  setTimeout(() => {
    pushedSecond = chunks.length;
    arrive(["x\ny", "e", ""]);
  }, 50);
  let n = 0;
  const chunks: [string, string][] = [];
  for await (
    const chunk of messageChunks(messages(), (data) => ({ data, number: ++n, handle: n }), {
      buffers: new ChunkBuffers(4, 64),
      chunkBytes: 64,
      onWritten: () => {},
      nextReady: () => queue.length > 0,
    })
  ) {
    chunks.push([
      chunk.kind,
      chunk.kind === "lines" ? decoder.decode(chunk.bytes, { stream: true }) : chunk.line.text,
    ]);
  }
  assert.deepEqual(chunks, [["lines", "a\nb\nc\nd\n"], ["line", "x\ny"], ["lines", "e\n"]]);
  assert.equal(pushedSecond, 1, "the first burst's chunk was cut while the source was quiet");
});
