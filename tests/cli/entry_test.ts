import assert from "node:assert/strict";
import { entryRoot, userPathResolver } from "../../src/cli/entry.ts";

Deno.test("user paths resolve against where deno task was started", () => {
  const fromTask = userPathResolver("/home/me/work");
  assert.equal(fromTask("in/a.jsonl"), "/home/me/work/in/a.jsonl");
  assert.equal(fromTask("/abs/a.jsonl"), "/abs/a.jsonl");
  assert.equal(userPathResolver(undefined)("in/a.jsonl"), "in/a.jsonl");
});

Deno.test("run from source, the entry root is the script's directory", () => {
  assert.equal(entryRoot("/srv/qts"), "/srv/qts");
});
