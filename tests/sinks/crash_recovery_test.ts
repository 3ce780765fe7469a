import assert from "node:assert/strict";
import { join } from "node:path";
import { repairTornTail } from "../../src/sinks/crash_recovery.ts";
import { tempDir } from "../helpers/temp.ts";

Deno.test("repairTornTail leaves absent, empty and clean files alone", async () => {
  const dir = await tempDir();
  assert.equal(await repairTornTail(join(dir, "none.jsonl"), "x"), undefined);
  await Deno.writeTextFile(join(dir, "empty.jsonl"), "");
  assert.equal(await repairTornTail(join(dir, "empty.jsonl"), "x"), undefined);
  await Deno.writeTextFile(join(dir, "clean.jsonl"), '{"a":1}\n');
  assert.equal(await repairTornTail(join(dir, "clean.jsonl"), "x"), undefined);
  assert.deepEqual([...Deno.readDirSync(dir)].length, 2);
});

Deno.test("repairTornTail moves a fragment longer than its read window, and a file with no newline at all", async () => {
  const dir = await tempDir();
  const path = join(dir, "big.jsonl");
  const fragment = "x".repeat(200_000);
  await Deno.writeTextFile(path, '{"ok":1}\n' + fragment);
  const repair = await repairTornTail(path, "s1");
  assert.deepEqual(repair, { fragmentPath: `${path}.partial-s1`, fragmentBytes: 200_000 });
  assert.equal(await Deno.readTextFile(path), '{"ok":1}\n');
  assert.equal(await Deno.readTextFile(`${path}.partial-s1`), fragment);
  const only = join(dir, "only.jsonl");
  await Deno.writeTextFile(only, '{"torn":');
  await repairTornTail(only, "s2");
  assert.equal(await Deno.readTextFile(only), "");
});
