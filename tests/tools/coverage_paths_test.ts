import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { projectUrl, rewriteCoverage } from "../../tools/coverage_paths.ts";
import { tempDir } from "../helpers/temp.ts";

const ROOT = join(import.meta.dirname!, "..", "..");

Deno.test("coverage: a profile an end-to-end run recorded in a project copy counts for the project's own file; others stay as they are", async () => {
  const own = pathToFileURL(join(ROOT, "src", "paths.ts")).href;
  assert.equal(await projectUrl("file:///tmp/qts-root-1a2b3c/src/paths.ts", ROOT), own);
  assert.equal(await projectUrl(own, ROOT), undefined, "already the project's");
  assert.equal(await projectUrl("file:///tmp/qts-root-1a2b/src/no_such.ts", ROOT), undefined);
  assert.equal(await projectUrl("file:///tmp/qts-root-1a2b/tests/x_test.ts", ROOT), undefined);

  const dir = await tempDir("coverage");
  const profile = (url: string) => JSON.stringify({ url, functions: [] });
  await Deno.writeTextFile(join(dir, "a.json"), profile("file:///tmp/qts-root-9f/src/paths.ts"));
  await Deno.writeTextFile(join(dir, "b.json"), profile("file:///elsewhere/lib.js"));
  assert.equal(await rewriteCoverage(dir, ROOT), 1);
  assert.equal(JSON.parse(await Deno.readTextFile(join(dir, "a.json"))).url, own);
  assert.equal(
    JSON.parse(await Deno.readTextFile(join(dir, "b.json"))).url,
    "file:///elsewhere/lib.js",
  );
});
