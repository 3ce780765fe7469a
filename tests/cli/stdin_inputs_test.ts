/**
 * `-` as an input path: `inspect`, `report`, `replay` and `merge` read standard input through
 * the one record reader, in a real `observer.ts` process with the observer task's permissions;
 * `-` twice, and `catalog build -`, are refused with exit code 2.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  copyProject,
  fileLines,
  fixture,
  observerDir,
  parseSummaryLine,
  runScript,
  type ScriptRun,
} from "../helpers/project.ts";

const root = await copyProject();
// Inputs inside the project copy: the observer task reads only there.
await Deno.mkdir(join(root, "data", "in"), { recursive: true });
const RECORDS = join(root, "data", "in", "records.jsonl");
const KIS = fixture("kis-swing-20260126.jsonl");
await Deno.copyFile(fixture("qts-python-records.jsonl"), RECORDS);

function observer(args: string[], stdin?: string | Uint8Array): Promise<ScriptRun> {
  return runScript(root, { task: "observer", script: "observer.ts", args, stdin });
}

Deno.test("inspect -: standard input is read like a file and named stdin", async () => {
  const bytes = await Deno.readFile(RECORDS);
  const piped = await observer(["inspect", "--json", "-"], bytes);
  assert.equal(piped.code, 0, piped.stderr);
  const fromFile = await observer(["inspect", "--json", RECORDS]);
  assert.equal(fromFile.code, 0, fromFile.stderr);
  const a = JSON.parse(piped.stdout);
  const b = JSON.parse(fromFile.stdout);
  assert.equal(a.files[0].file, "stdin");
  assert.equal(a.records, b.records);
  assert.ok(a.records > 0);
  assert.deepEqual(a.bySymbol, b.bySymbol);

  const table = await observer(["inspect", "-"], bytes);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /stdin/);

  const bad = await observer(["inspect", "--json", "-"], "not json\n");
  assert.equal(bad.code, 1, "a bad line read from stdin is counted as in a file");
  assert.equal(JSON.parse(bad.stdout).badLineSamples[0].file, "stdin");
});

Deno.test("- given twice, or to catalog build, exits 2 naming why", async () => {
  const twice = await observer(["inspect", "-", RECORDS, "-"], "");
  assert.equal(twice.code, 2);
  assert.match(twice.stderr, /error: - given twice: standard input can be read once/);
  const merge = await observer(["merge", "--file", "twice.jsonl", "-", "-"], "");
  assert.equal(merge.code, 2);
  assert.match(merge.stderr, /- given twice/);
  const catalog = await observer(["catalog", "build", "-"], "");
  assert.equal(catalog.code, 2);
  assert.match(catalog.stderr, /catalog build: - \(standard input\) is not taken/);
});

Deno.test("replay -: the same records as replaying the file (byte-identical with --clock snapshot)", async () => {
  const piped = await observer(
    ["replay", "--clock", "snapshot", "--file", "piped.jsonl", "-"],
    await Deno.readFile(RECORDS),
  );
  assert.equal(piped.code, 0, piped.stderr);
  const file = await observer(["replay", "--clock", "snapshot", "--file", "file.jsonl", RECORDS]);
  assert.equal(file.code, 0, file.stderr);
  assert.equal(parseSummaryLine(piped.stdout).written, parseSummaryLine(file.stdout).written);
  assert.deepEqual(
    await Deno.readFile(join(observerDir(root), "piped.jsonl")),
    await Deno.readFile(join(observerDir(root), "file.jsonl")),
  );
});

Deno.test("report -: a market archive on standard input makes the report", async () => {
  const run = await observer(["report", "--out", "piped.html", "-"], await Deno.readFile(KIS));
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^report: .*piped\.html$/m);
  const html = await Deno.readTextFile(join(observerDir(root), "piped.html"));
  assert.match(html, /QTS Observer report — stdin/);
});

Deno.test("merge -: standard input merged with a file; its copy is removed", async () => {
  const run = await observer(
    ["merge", "--file", "merged-stdin.jsonl", "-", RECORDS],
    await Deno.readFile(RECORDS),
  );
  assert.equal(run.code, 0, run.stderr);
  const summary = parseSummaryLine(run.stdout);
  const records = (await fileLines(RECORDS)).length;
  assert.equal(summary.merged, String(records));
  assert.equal(summary.duplicates, String(records), "the same records twice: one kept");
  const left = [];
  for await (const entry of Deno.readDir(observerDir(root))) {
    if (entry.name.startsWith(".merge-stdin-")) left.push(entry.name);
  }
  assert.deepEqual(left, [], "the copy of standard input is removed");
});
