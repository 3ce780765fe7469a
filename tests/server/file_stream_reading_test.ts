import assert from "node:assert/strict";
import { join } from "node:path";
import { lastLineEnd } from "../../src/server/file_stream_reading.ts";
import { tempDir } from "../helpers/temp.ts";

Deno.test("lastLineEnd: the end of the last whole line, behind lines shorter and much longer than its first read, never before the offset", async () => {
  const dir = await tempDir("stream-read");
  const path = join(dir, "records.jsonl");
  const short = '{"a":1}\n';
  const long = `{"b":"${"x".repeat(100_000)}"}\n`; // longer than every window read
  const text = short + long + short + '{"torn":'; // a line still being written at the end
  await Deno.writeTextFile(path, text);
  const bytes = new TextEncoder().encode(text);
  using file = await Deno.open(path);
  const size = bytes.length;
  const tail = { key: "k", path, file, offset: 0 };
  assert.equal(await lastLineEnd(tail, size), bytes.lastIndexOf(0x0a) + 1);
  // Only the long line and the torn rest after the offset: found far behind the first window.
  const afterShort = short.length;
  const upToLong = afterShort + long.length;
  assert.equal(
    await lastLineEnd({ ...tail, offset: afterShort }, upToLong + 5),
    upToLong,
  );
  // No line end after the offset: the offset itself.
  assert.equal(await lastLineEnd({ ...tail, offset: size - 3 }, size), size - 3);
});
