import assert from "node:assert/strict";
import { checkInputFiles, InputFileError, stdinInput } from "../../src/cli/inputs.ts";
import { tempDir } from "../helpers/temp.ts";
import { join } from "node:path";

Deno.test("checkInputFiles: - is standard input when allowed, at most once; else a file name", async () => {
  const dir = await tempDir();
  const path = join(dir, "a.jsonl");
  await Deno.writeTextFile(path, "{}\n");
  assert.deepEqual(await checkInputFiles(["-", path], { stdin: true }), {
    paths: ["-", path],
    totalBytes: 3,
  });
  await assert.rejects(
    () => checkInputFiles(["-", path, "-"], { stdin: true }),
    (error: Error) => error instanceof InputFileError && /^- given twice/.test(error.message),
  );
  await assert.rejects(() => checkInputFiles(["-"]), /cannot read -: no such file/);
});

Deno.test("stdinInput: named stdin, opened once", async () => {
  const input = stdinInput({ readable: ReadableStream.from([new Uint8Array([1])]) });
  assert.equal(input.name, "stdin");
  using opened = await input.open();
  assert.deepEqual(await Array.fromAsync(opened.readable), [new Uint8Array([1])]);
  await assert.rejects(() => input.open(), /read only once/);
});
