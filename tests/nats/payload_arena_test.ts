import assert from "node:assert/strict";
import { PayloadArena } from "../../src/nats/payload_arena.ts";

const decoder = new TextDecoder();

Deno.test("payload arena: each view holds its text's UTF-8 bytes, multi-byte text included", () => {
  const arena = new PayloadArena(64);
  for (const text of ["", "{}", '{"s":"삼성전자"}', "😀 emoji", "a".repeat(21)]) {
    const bytes = arena.encode(text);
    assert.deepEqual(bytes, new TextEncoder().encode(text));
  }
});

Deno.test("payload arena: views stay unchanged while later texts fill and replace chunks", () => {
  const arena = new PayloadArena(100);
  const texts = Array.from({ length: 200 }, (_, i) => `{"i":${i},"s":"${"삼".repeat(i % 7)}"}`);
  const views = texts.map((text) => arena.encode(text));
  assert.deepEqual(views.map((view) => decoder.decode(view)), texts);
  // Several chunks were used, and no two views overlap within one.
  assert.ok(new Set(views.map((view) => view.buffer)).size > 10);
  const byBuffer = Map.groupBy(views, (view) => view.buffer);
  for (const group of byBuffer.values()) {
    for (let i = 1; i < group.length; i++) {
      const previous = group[i - 1];
      assert.ok(group[i].byteOffset >= previous.byteOffset + previous.length);
    }
  }
});

Deno.test("payload arena: a text larger than a chunk gets a buffer of its own", () => {
  const arena = new PayloadArena(32);
  const small = arena.encode("abc");
  const large = arena.encode("x".repeat(40));
  assert.equal(decoder.decode(large), "x".repeat(40));
  assert.notEqual(large.buffer, small.buffer);
  assert.equal(decoder.decode(arena.encode("def")), "def");
  assert.equal(decoder.decode(small), "abc");
});

Deno.test("payload arena: a chunk size that is not a positive integer is refused", () => {
  assert.throws(() => new PayloadArena(0), RangeError);
  assert.throws(() => new PayloadArena(1.5), RangeError);
});
