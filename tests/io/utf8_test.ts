import assert from "node:assert/strict";
import fc from "fast-check";
import { countNewlines, utf8Length } from "../../src/io/utf8.ts";

Deno.test("countNewlines counts every 0x0a byte of any bytes, invalid UTF-8 included (property)", () => {
  // Bytes rich in line ends, UTF-8 lead and continuation bytes, some of them long.
  const byte = fc.constantFrom(0x0a, 0x0d, 0x41, 0xc3, 0xa9, 0xe2, 0x82, 0xf0, 0x9f, 0xff, 0x00);
  fc.assert(
    fc.property(
      fc.array(byte, { maxLength: 300 }),
      fc.integer({ min: 0, max: 70_000 }),
      (tail, padding) => {
        const bytes = new Uint8Array(padding + tail.length);
        bytes.fill(0xe2, 0, padding); // lead bytes with no continuation
        bytes.set(tail, padding);
        const expected = bytes.reduce((n, b) => n + (b === 0x0a ? 1 : 0), 0);
        assert.equal(countNewlines(bytes), expected);
      },
    ),
    { numRuns: 200 },
  );
  assert.equal(countNewlines(new Uint8Array(0)), 0);
});

Deno.test("utf8Length is the length TextEncoder gives, lone surrogates included (property)", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary" }), (text) => {
      assert.equal(utf8Length(text), new TextEncoder().encode(text).length);
    }),
  );
});
