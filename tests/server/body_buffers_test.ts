import assert from "node:assert/strict";
import { BodyBuffers, MAX_KEPT_BODY_BUFFER_BYTES } from "../../src/server/body_buffers.ts";

Deno.test("body buffers: a buffer given back is taken again whole (the smallest that fits), at most maxKept are kept, none past the largest kept size", () => {
  const buffers = new BodyBuffers(2);
  const small = buffers.take(100);
  const large = buffers.take(1000);
  assert.equal(small.length, 100);
  buffers.give(large.subarray(10, 20)); // a view: the whole buffer comes back
  buffers.give(small);
  buffers.give(new Uint8Array(500)); // a third: not kept
  assert.equal(buffers.take(50).buffer, small.buffer);
  assert.equal(buffers.take(50).buffer, large.buffer);
  assert.notEqual(buffers.take(50).buffer, small.buffer, "nothing kept any more: a new one");
  const huge = buffers.take(MAX_KEPT_BODY_BUFFER_BYTES + 1);
  buffers.give(huge);
  assert.notEqual(buffers.take(10).buffer, huge.buffer, "too large to keep");
});
