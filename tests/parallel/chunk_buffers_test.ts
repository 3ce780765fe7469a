import assert from "node:assert/strict";
import { ChunkBuffers } from "../../src/parallel/chunk_buffers.ts";

Deno.test("chunk buffers: kept ones are reused, at most the bound of each kind and none grown past the usual size", () => {
  const buffers = new ChunkBuffers(2, 1024);
  const a = buffers.input(1024);
  const b = buffers.input(1024);
  const c = buffers.input(1024);
  assert.ok(a !== b && b !== c, "nothing kept yet: new buffers");
  for (const buffer of [a, b, c]) buffers.keepInput(buffer);
  assert.equal(buffers.input(1024), a);
  assert.equal(buffers.input(1024), b);
  assert.notEqual(buffers.input(1024), c, "the third was let go of (bound 2)");
  // A buffer grown for a long line (over 2 × the chunk) is not kept; a large enough kept one is
  // found for a request of more than a chunk.
  buffers.keepInput(new Uint8Array(4096));
  buffers.keepInput(new Uint8Array(2048));
  assert.equal(buffers.input(1500).length, 2048);
  assert.equal(buffers.output(), undefined);
  const encoded = new Uint8Array(8 * 1024);
  buffers.keepOutput(encoded);
  buffers.keepOutput(new Uint8Array(8 * 1024 + 1));
  assert.equal(buffers.output(), encoded);
  assert.equal(buffers.output(), undefined, "the one over 8 × the chunk was let go of");
});
