import assert from "node:assert/strict";
import {
  checkOutputFileName,
  checkRecordFileName,
  observerDataDir,
  outputFilePath,
  recordFilePath,
  resolveProjectRoot,
} from "../src/paths.ts";

Deno.test("resolveProjectRoot: from source, the entry script's directory", () => {
  assert.equal(
    resolveProjectRoot({ moduleDir: "/srv/qts", standalone: false, execPath: "/usr/bin/deno" }),
    "/srv/qts",
  );
});

Deno.test("resolveProjectRoot: a compiled binary in bin/ gives bin's parent", () => {
  assert.equal(
    resolveProjectRoot({
      moduleDir: "/tmp/deno-compile-x",
      standalone: true,
      execPath: "/srv/qts/bin/qts",
    }),
    "/srv/qts",
  );
});

Deno.test("resolveProjectRoot: a compiled binary elsewhere gives its own directory", () => {
  assert.equal(
    resolveProjectRoot({ moduleDir: undefined, standalone: true, execPath: "/opt/qts/qts" }),
    "/opt/qts",
  );
});

Deno.test("resolveProjectRoot: a remote entry module is refused", () => {
  assert.throws(
    () =>
      resolveProjectRoot({ moduleDir: undefined, standalone: false, execPath: "/usr/bin/deno" }),
    /expected the entry script to be a local file/,
  );
});

Deno.test("record paths live under <root>/data/observer", () => {
  assert.equal(observerDataDir("/srv/qts"), "/srv/qts/data/observer");
  assert.equal(recordFilePath("/srv/qts", "a.jsonl"), "/srv/qts/data/observer/a.jsonl");
  assert.equal(outputFilePath("/srv/qts", "r.html", ".html"), "/srv/qts/data/observer/r.html");
});

Deno.test("checkRecordFileName refuses names that could leave data/observer", () => {
  for (
    const [name, reason] of [
      ["../x.jsonl", "path separator"],
      ["..x.jsonl", "starts with '..'"],
      ["/etc/x.jsonl", "absolute path"],
      ["a/b.jsonl", "path separator"],
      ["a\\b.jsonl", "path separator"],
      ["x.json", 'does not end in ".jsonl"'],
      [".jsonl", 'does not end in ".jsonl"'],
      ["", "is empty"],
      ["a\0.jsonl", "control character"],
      ["a\nb.jsonl", "control character"],
      ["a\u009b.jsonl", "control character"],
    ]
  ) {
    assert.throws(() => checkRecordFileName(name), (error: Error) => {
      assert.match(error.message, /expected a bare file name ending in "\.jsonl"/);
      assert.ok(error.message.includes(reason), `${name}: ${error.message}`);
      return true;
    });
  }
  assert.equal(checkRecordFileName("session_1.jsonl"), "session_1.jsonl");
  assert.throws(() => checkOutputFileName("r.jsonl", ".html"), /ending in "\.html"/);
});
