import assert from "node:assert/strict";
import { join } from "node:path";
import { parsePatternRecord } from "../../src/contract/pattern_record.ts";
import {
  copyProject,
  fileLines,
  fixture,
  parseSummaryLine,
  runScript,
  spawnScript,
  waitForFileSize,
} from "../helpers/project.ts";
import { snapshotLine, writeSnapshotFile } from "../helpers/snapshot_file.ts";
import { tempDir } from "../helpers/temp.ts";

const observerFile = (root: string, name = "observer.jsonl") =>
  join(root, "data", "observer", name);

Deno.test("observer.ts records the Python snapshots: 5 recorded, NaN/Infinity lines blocked by path", async () => {
  const root = await copyProject();
  const run = await runScript(root, {
    task: "observer",
    script: "observer.ts",
    stdin: await Deno.readTextFile(fixture("python-snapshots.jsonl")),
  });
  assert.equal(run.code, 1, "blocked snapshots give the documented exit code 1");
  const summary = parseSummaryLine(run.stdout);
  assert.equal(summary.written, "5");
  assert.equal(summary.blocked, "2");
  assert.equal(summary.rejected, "0");
  assert.match(
    run.stderr,
    /fixture0004.*observation\.inputs\.price: expected a finite number, got NaN/,
  );
  assert.match(
    run.stderr,
    /inf01.*observation\.inputs\.depth\[1\]: expected a finite number, got -Infinity/,
  );
  const records = (await fileLines(observerFile(root))).map((l) => JSON.parse(l));
  assert.deepEqual(records.map((r) => r.snapshot.meta.run_id), [
    "fixture0000",
    "fixture0001",
    "fixture0002",
    "fixture0003",
    "fixture0005",
  ]);
  for (const record of records) assert.ok(parsePatternRecord(record).ok);
  assert.equal(records[4].snapshot.context.symbol, "한글");
  assert.equal(records[4].snapshot.observation.inputs.note, "유니코드 ✓");
});

for (const workers of ["1", "2"]) {
  Deno.test(`observer.ts --workers ${workers} reports bad lines with their number and reason and keeps going`, async () => {
    const root = await copyProject();
    const input = [snapshotLine(1), "not json", "[1,2]", '{"meta": {}}', "", snapshotLine(2)].join(
      "\n",
    );
    await Deno.writeTextFile(join(root, "input.jsonl"), input);
    const run = await runScript(root, {
      task: "observer",
      script: "observer.ts",
      args: ["--input", join(root, "input.jsonl"), "--file", "mixed.jsonl", "--workers", workers],
    });
    assert.equal(run.code, 1);
    const summary = parseSummaryLine(run.stdout);
    assert.equal(summary.written, "2");
    assert.equal(summary.rejected, "3");
    assert.match(run.stderr, /input\.jsonl:2: rejected: not valid JSON/);
    assert.match(
      run.stderr,
      /input\.jsonl:3: rejected: \(snapshot\): expected a JSON object, got \[1,2\] \(array\)/,
    );
    assert.match(run.stderr, /input\.jsonl:4: rejected: context: expected an object, got nothing/);
    assert.equal((await fileLines(observerFile(root, "mixed.jsonl"))).length, 2);
  });
}

Deno.test("observer.ts exits 0 when every line was recorded and 2 for an unreadable input", async () => {
  const root = await copyProject();
  const ok = await runScript(root, {
    task: "observer",
    script: "observer.ts",
    stdin: snapshotLine(1) + "\n" + snapshotLine(2) + "\n",
  });
  assert.equal(ok.code, 0, ok.stderr);
  const missing = await runScript(root, {
    task: "observer",
    script: "observer.ts",
    args: ["--input", join(root, "nope.jsonl")],
  });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^error: cannot read \/.*\/nope\.jsonl: no such file\n$/);
  const outside = await runScript(root, {
    task: "observer",
    script: "observer.ts",
    args: ["--file", "../x.jsonl"],
    stdin: "",
  });
  assert.equal(outside.code, 2);
  assert.match(outside.stderr, /invalid file name "\.\.\/x\.jsonl"/);
});

Deno.test("observer.ts runs without --allow-env (INIT_CWD is read only when granted)", async () => {
  const root = await copyProject();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      `--allow-read=${root}`,
      `--allow-write=${join(root, "data", "observer")}`,
      join(root, "observer.ts"),
    ],
    cwd: await tempDir(),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(snapshotLine(5) + "\n"));
  await writer.close();
  const output = await child.output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  assert.equal((await fileLines(observerFile(root))).length, 1);
});

Deno.test("observer.ts --help documents every flag and the exit codes", async () => {
  const root = await copyProject();
  const help = await runScript(root, {
    task: "observer",
    script: "observer.ts",
    args: ["record", "--help"],
  });
  assert.equal(help.code, 0);
  for (
    const flag of [
      "--input",
      "--file",
      "--fsync",
      "--when-full",
      "--queue-bytes",
      "--keep",
      "--log-level",
    ]
  ) {
    assert.ok(help.stdout.includes(flag), flag);
  }
  assert.match(help.stdout, /Exit codes: 0 every line recorded/);
});

for (const workers of ["1", "2"]) {
  Deno.test(`SIGTERM midway through a large input (--workers ${workers}): stop, drain, flush, exit 0; written equals complete lines`, async () => {
    const root = await copyProject();
    const input = join(root, "big.jsonl");
    const total = 400_000;
    await writeSnapshotFile(input, total);
    const child = await spawnScript(root, {
      task: "observer",
      script: "observer.ts",
      args: ["--input", input, "--log-level", "warning", "--workers", workers],
    });
    await waitForFileSize(observerFile(root), 1024 * 1024);
    child.kill("SIGTERM");
    const output = await child.output();
    const stdout = new TextDecoder().decode(output.stdout);
    assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
    const summary = parseSummaryLine(stdout);
    assert.equal(summary.interrupted, "true");
    const text = await Deno.readTextFile(observerFile(root));
    assert.ok(text.endsWith("\n"), "the file ends on a complete line");
    const lines = text.slice(0, -1).split("\n");
    assert.equal(Number(summary.written), lines.length);
    assert.ok(lines.length < total, "the signal arrived midway");
    lines.forEach((line, i) => {
      const record = JSON.parse(line);
      assert.equal(record.snapshot.meta.run_id, `r${i}`, "in order, nothing skipped");
    });
  });
}

Deno.test("SIGKILL during heavy writes: the restart moves any torn tail aside and every line parses", async () => {
  const root = await copyProject();
  const input = join(root, "big.jsonl");
  await writeSnapshotFile(input, 400_000);
  const child = await spawnScript(root, {
    task: "observer",
    script: "observer.ts",
    args: ["--input", input, "--flush-bytes", "4096", "--log-level", "error"],
  });
  await waitForFileSize(observerFile(root), 2 * 1024 * 1024);
  child.kill("SIGKILL");
  await child.output();
  let killed = await Deno.readFile(observerFile(root));
  if (killed[killed.length - 1] === 0x0a) {
    // A killed process finishes the write(2) it is in, so the tail is usually clean; cut it as
    // a power loss mid-write would, so the restart always has a torn line to deal with.
    console.log("after SIGKILL the file ended cleanly; cutting 50 bytes to tear the last line");
    killed = killed.subarray(0, killed.length - 50);
    await Deno.writeFile(observerFile(root), killed);
  }
  const restart = await runScript(root, {
    task: "observer",
    script: "observer.ts",
    stdin: snapshotLine(999_999) + "\n",
  });
  assert.equal(restart.code, 0, restart.stderr);
  const text = await Deno.readTextFile(observerFile(root));
  assert.ok(text.endsWith("\n"));
  const lines = text.slice(0, -1).split("\n");
  for (const line of lines) JSON.parse(line);
  assert.equal(JSON.parse(lines[lines.length - 1]).snapshot.meta.run_id, "r999999");
  const fragments = [...Deno.readDirSync(join(root, "data", "observer"))].filter((e) =>
    e.name.startsWith("observer.jsonl.partial-")
  );
  assert.equal(fragments.length, 1);
  assert.match(restart.stderr, /moved it to .*observer\.jsonl\.partial-/);
  const head = killed.lastIndexOf(0x0a) + 1;
  const fragment = await Deno.readFile(join(root, "data", "observer", fragments[0].name));
  assert.deepEqual(fragment, killed.subarray(head), "the fragment is exactly the torn tail");
  assert.equal(lines.length, text.split("\n").length - 1);
});
