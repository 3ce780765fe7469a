import assert from "node:assert/strict";
import { join } from "node:path";
import { openRecordFile } from "../../src/records/record_reader.ts";
import { chromiumUnavailable, ensureChromium, loadPage, screenshot } from "../helpers/chromium.ts";
import {
  copyProject,
  fileLines,
  fixture,
  FIXTURES_DIR,
  observerDir,
  parseSummaryLine,
  runScript,
  taskPermissionFlags,
} from "../helpers/project.ts";
import { writeSnapshotFile } from "../helpers/snapshot_file.ts";
import { tempDir } from "../helpers/temp.ts";

const KIS = fixture("kis-swing-20260126.jsonl");

async function runIds(path: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const { record } of openRecordFile(path)) ids.push(record.snapshot.meta.run_id);
  return ids;
}

Deno.test("replay --clock snapshot is deterministic: the same input gives byte-identical files", async () => {
  const root = await copyProject();
  const made = await runScript(root, { task: "run", script: "main.ts", args: ["--ticks", "30"] });
  assert.equal(made.code, 0, made.stderr);
  const source = join(observerDir(root), "observer.jsonl");
  for (const out of ["a.jsonl", "b.jsonl"]) {
    const run = await runScript(root, {
      task: "observer",
      script: "observer.ts",
      args: ["replay", "--clock", "snapshot", "--file", out, source],
    });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(parseSummaryLine(run.stdout).written, "90");
  }
  const a = await Deno.readFile(join(observerDir(root), "a.jsonl"));
  const b = await Deno.readFile(join(observerDir(root), "b.jsonl"));
  assert.ok(a.length > 0);
  assert.deepEqual(a, b, "byte-identical");
  assert.deepEqual(await runIds(join(observerDir(root), "a.jsonl")), await runIds(source));
  const again = await runScript(root, {
    task: "observer",
    script: "observer.ts",
    args: ["replay", "--file", "a.jsonl", source],
  });
  assert.equal(again.code, 2, "an existing output file is refused");
  assert.match(again.stderr, /a\.jsonl already exists: replay writes a new record file/);
});

Deno.test("replay of the real KIS archive records all 1,512 observations (read access granted as documented)", async () => {
  const root = await copyProject();
  const denied = await runScript(root, {
    task: "observer",
    script: "observer.ts",
    args: ["replay", "--format", "kis-swing", "--file", "kis.jsonl", KIS],
  });
  assert.equal(denied.code, 2);
  assert.match(denied.stderr, /grant read access with --allow-read=<path>/);
  const run = await runScript(root, {
    task: "observer",
    script: "observer.ts",
    args: ["replay", "--format", "kis-swing", "--file", "kis.jsonl", KIS],
    extraRead: [FIXTURES_DIR],
  });
  assert.equal(run.code, 0, run.stderr);
  const summary = parseSummaryLine(run.stdout);
  assert.equal(summary.written, "1512");
  assert.equal(summary.rejected, "0");
  const ids = await runIds(join(observerDir(root), "kis.jsonl"));
  assert.equal(ids.length, 1512);
  assert.equal(ids[0], "kis:000250:2026-01-26T03:18:20.080489Z");
});

Deno.test("main.ts -- --replay <archive>: the runtime records a real market archive", async () => {
  const root = await copyProject();
  const run = await runScript(root, {
    task: "run",
    script: "main.ts",
    args: ["--", "--replay", KIS, "--file", "kis.jsonl"],
    extraRead: [FIXTURES_DIR],
  });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(parseSummaryLine(run.stdout).written, "1512");
  assert.equal((await fileLines(join(observerDir(root), "kis.jsonl"))).length, 1512);
});

for (const workers of ["1", "2"]) {
  Deno.test(`a malformed archive line is reported with its number and skipped; nothing is dropped silently (--workers ${workers})`, async () => {
    const root = await copyProject();
    const lines = (await Deno.readTextFile(KIS)).split("\n").slice(0, 10);
    lines.splice(3, 0, '{"ts": "yesterday", "symbol": "X", "price": {}}');
    lines.splice(7, 0, "{not json");
    const input = join(root, "archive.jsonl");
    await Deno.writeTextFile(input, lines.join("\n"));
    const run = await runScript(root, {
      task: "observer",
      script: "observer.ts",
      args: ["replay", "--format", "kis-swing", "--workers", workers, "--file", "kis.jsonl", input],
    });
    assert.equal(run.code, 1);
    const summary = parseSummaryLine(run.stdout);
    assert.deepEqual([summary.written, summary.rejected], ["10", "2"]);
    assert.match(
      run.stderr,
      /archive\.jsonl:4: rejected: ts: expected an ISO-8601 time with a zone/,
    );
    assert.match(run.stderr, /archive\.jsonl:8: rejected: not valid JSON/);
  });
}

Deno.test("inspect prints a table, or JSON with --json; bad lines give exit code 1", async () => {
  const root = await copyProject();
  const records = join(root, "records.jsonl");
  await Deno.writeTextFile(records, await Deno.readTextFile(fixture("qts-python-records.jsonl")));
  const table = await runScript(root, {
    task: "observer",
    script: "observer.ts",
    args: ["inspect", records],
  });
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /records: 5 {3}bad lines: 0/);
  assert.match(table.stdout, /events: 2026-11-26T11:12:32\.531Z … 2026-11-26T11:12:32\.532Z/);
  assert.equal(table.stderr, "", "no progress bar or other noise when stderr is not a terminal");
  await Deno.writeTextFile(records, "oops\n", { append: true });
  const json = await runScript(root, {
    task: "observer",
    script: "observer.ts",
    args: ["inspect", "--json", records],
  });
  assert.equal(json.code, 1);
  const report = JSON.parse(json.stdout);
  assert.equal(report.records, 5);
  assert.equal(report.badLines, 1);
  assert.deepEqual(report.bySource, { market: 2, broker: 1, system: 1, external: 1 });
});

const noChromium = await chromiumUnavailable();

Deno.test({
  name: "report writes a self-contained HTML page whose charts render in Chromium without errors",
  ignore: noChromium !== undefined,
}, async () => {
  const chromium = await ensureChromium();
  const root = await copyProject();
  const made = await runScript(root, { task: "run", script: "main.ts", args: ["--ticks", "120"] });
  assert.equal(made.code, 0, made.stderr);
  const snapshots = join(root, "snapshots.jsonl");
  await Deno.writeTextFile(snapshots, await Deno.readTextFile(fixture("python-snapshots.jsonl")));
  const run = await runScript(root, {
    task: "observer",
    script: "observer.ts",
    args: [
      "report",
      "--symbols",
      "005930,000660",
      "--out",
      "session.html",
      join(observerDir(root), "observer.jsonl"),
      snapshots,
    ],
  });
  assert.equal(run.code, 0, run.stderr);
  const html = join(observerDir(root), "session.html");
  assert.equal(run.stdout.trim(), `report: ${html}`);
  const text = await Deno.readTextFile(html);
  assert.ok(!/\b(src|href)=["']?https?:/.test(text), "no network resources");
  assert.ok(text.includes("uPlot"), "the charting library is inlined");
  const page = await loadPage(chromium, html);
  assert.deepEqual(page.console, [], "the page logged nothing");
  const body = /<body([^>]*)>/.exec(page.dom)?.[1] ?? "";
  assert.match(body, /data-charts-rendered="5"/, body);
  assert.match(body, /data-canvases-painted="5"/, body);
  for (const symbol of ["005930", "000660"]) {
    // 120 simulated ticks plus the one valid Python snapshot of each symbol
    assert.match(page.dom, new RegExp(`data-symbol="${symbol}" data-points="121"`));
  }
  assert.match(
    page.dom,
    /<th>blocked<\/th><td>2<\/td>/,
    "the NaN/Infinity snapshots are counted as blocked",
  );
  const png = join(await tempDir("report"), "report.png");
  await screenshot(chromium, html, png);
  const bytes = await Deno.readFile(png);
  assert.deepEqual([...bytes.subarray(1, 4)], [0x50, 0x4e, 0x47], "a PNG was saved");
  console.log(`screenshot: ${png}`);
  const refused = await runScript(root, {
    task: "observer",
    script: "observer.ts",
    args: ["report", "--out", "../x.html", snapshots],
  });
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /expected a bare file name ending in "\.html"/);
});

const hasScript = await new Deno.Command("script", {
  args: ["--version"],
  stdout: "null",
  stderr: "null",
})
  .output().then((o) => o.success, () => false);
if (!hasScript) {
  console.log("skipped: the progress-bar test needs script(1) (util-linux) for a pty");
}

Deno.test({
  name: "inspect shows a progress bar on stderr when it is a terminal (a real pty via script(1))",
  ignore: !hasScript,
}, async () => {
  const root = await copyProject();
  const input = join(root, "snapshots.jsonl");
  await writeSnapshotFile(input, 100_000);
  const made = await runScript(root, {
    task: "observer",
    script: "observer.ts",
    args: ["--input", input, "--file", "big.jsonl", "--log-level", "error"],
  });
  assert.equal(made.code, 0, made.stderr);
  const big = join(observerDir(root), "big.jsonl");
  const flags = await taskPermissionFlags("observer", root);
  // 100,000 records are ~140 MiB: past the 64 MiB from which the bar shows at once.
  const command = [
    Deno.execPath(),
    "run",
    ...flags,
    join(root, "observer.ts"),
    "inspect",
    big,
  ]
    .map((word) => `'${word}'`).join(" ");
  const typescript = join(root, "typescript.log");
  const output = await new Deno.Command("script", {
    args: ["-qec", `${command} > ${join(root, "inspect.out")}`, typescript],
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  const terminal = await Deno.readTextFile(typescript);
  assert.match(terminal, /inspect \[[█░]+\] 100% \| [\d.]+\/[\d.]+ MiB/);
  assert.match(await Deno.readTextFile(join(root, "inspect.out")), /records: 100000 /);
});
