import assert from "node:assert/strict";
import { join } from "node:path";
import { repairTornTail } from "../../src/sinks/crash_recovery.ts";
import { tempDir } from "../helpers/temp.ts";

async function repair(path: string, stamp: string) {
  using file = await Deno.open(path, { read: true, append: true });
  return await repairTornTail(file, path, stamp);
}

Deno.test("repairTornTail leaves empty and clean files alone", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(join(dir, "empty.jsonl"), "");
  assert.equal(await repair(join(dir, "empty.jsonl"), "x"), undefined);
  await Deno.writeTextFile(join(dir, "clean.jsonl"), '{"a":1}\n');
  assert.equal(await repair(join(dir, "clean.jsonl"), "x"), undefined);
  assert.deepEqual([...Deno.readDirSync(dir)].length, 2);
});

Deno.test("repairTornTail moves a fragment longer than its read window, and a file with no newline at all", async () => {
  const dir = await tempDir();
  const path = join(dir, "big.jsonl");
  const fragment = "x".repeat(200_000);
  await Deno.writeTextFile(path, '{"ok":1}\n' + fragment);
  assert.deepEqual(await repair(path, "s1"), {
    fragmentPath: `${path}.partial-s1`,
    fragmentBytes: 200_000,
  });
  assert.equal(await Deno.readTextFile(path), '{"ok":1}\n');
  assert.equal(await Deno.readTextFile(`${path}.partial-s1`), fragment);
  const only = join(dir, "only.jsonl");
  await Deno.writeTextFile(only, '{"torn":');
  await repair(only, "s2");
  assert.equal(await Deno.readTextFile(only), "");
});

Deno.test("two recoveries with the same stamp (within one second) keep both fragments under distinct names", async () => {
  const dir = await tempDir();
  const path = join(dir, "x.jsonl");
  await Deno.writeTextFile(path, '{"a":1}\n{"first');
  const first = await repair(path, "20260126T031820Z");
  await Deno.writeTextFile(path, '{"second', { append: true });
  const second = await repair(path, "20260126T031820Z");
  assert.equal(first?.fragmentPath, `${path}.partial-20260126T031820Z`);
  assert.equal(second?.fragmentPath, `${path}.partial-20260126T031820Z-2`);
  assert.equal(await Deno.readTextFile(first!.fragmentPath), '{"first');
  assert.equal(await Deno.readTextFile(second!.fragmentPath), '{"second');
  assert.equal(await Deno.readTextFile(path), '{"a":1}\n');
});

Deno.test("a link planted at the fragment's name is never written through", async () => {
  const dir = await tempDir();
  const outside = join(dir, "outside.txt");
  await Deno.writeTextFile(outside, "keep me");
  const path = join(dir, "x.jsonl");
  await Deno.symlink(outside, `${path}.partial-s`);
  await Deno.writeTextFile(path, '{"torn');
  const repaired = await repair(path, "s");
  assert.equal(repaired?.fragmentPath, `${path}.partial-s-2`);
  assert.equal(await Deno.readTextFile(outside), "keep me");
});
