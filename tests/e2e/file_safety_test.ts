import assert from "node:assert/strict";
import { join } from "node:path";
import {
  copyProject,
  fileLines,
  observerDir,
  parseSummaryLine,
  runScript,
  spawnScript,
} from "../helpers/project.ts";
import { snapshotLine } from "../helpers/snapshot_file.ts";

Deno.test("two writers, one file: the second exits 2 naming the first one's pid; the first loses nothing", async () => {
  const root = await copyProject();
  const first = await spawnScript(root, {
    task: "observer",
    script: "observer.ts",
    args: ["--file", "x.jsonl", "--fsync", "always"],
    stdin: "",
  });
  const writer = first.stdin.getWriter();
  const encoder = new TextEncoder();
  let sent = 0;
  const send = async (n: number) => {
    let chunk = "";
    for (let i = 0; i < n; i++) chunk += snapshotLine(sent++) + "\n";
    await writer.write(encoder.encode(chunk));
  };
  await send(500);
  // The first writer holds the lock from the moment its sink opened: wait until it wrote.
  const path = join(observerDir(root), "x.jsonl");
  for (let i = 0; i < 400 && (await Deno.stat(path).catch(() => null))?.size === undefined; i++) {
    await new Promise((r) => setTimeout(r, 25));
  }
  for (let round = 0; round < 3; round++) {
    // Second writer starts while the first is mid-stream, with input of its own.
    const second = await runScript(root, {
      task: "observer",
      script: "observer.ts",
      args: ["--file", "x.jsonl"],
      stdin: snapshotLine(100_000 + round) + "\n",
    });
    assert.equal(second.code, 2, second.stderr);
    assert.match(
      second.stderr,
      new RegExp(
        `data/observer/x\\.jsonl is being written by another process \\(pid ${first.pid}\\)`,
      ),
    );
    assert.doesNotMatch(second.stderr, /partial last line/, "no repair of the live writer's file");
    await send(500);
  }
  await writer.close();
  const output = await first.output();
  const summary = parseSummaryLine(new TextDecoder().decode(output.stdout));
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  assert.equal(summary.written, String(sent));
  const lines = await fileLines(path);
  assert.equal(lines.length, sent, "every accepted record is in the file");
  assert.deepEqual(
    lines.map((l) => JSON.parse(l).snapshot.meta.run_id),
    Array.from({ length: sent }, (_, i) => `r${i}`),
  );
  const names = [...Deno.readDirSync(observerDir(root))].map((e) => e.name).sort();
  assert.deepEqual(names, ["x.jsonl", "x.lock"], "no fragments were split off");
});

Deno.test("a record file planted as a link to a project file is refused (exit 2) and the target is untouched", async () => {
  const root = await copyProject();
  const target = join(root, "src", "paths.ts");
  const before = await Deno.readTextFile(target);
  await Deno.symlink("../../src/paths.ts", join(observerDir(root), "x.jsonl"));
  const run = await runScript(root, {
    task: "run",
    script: "main.ts",
    args: ["--file", "x.jsonl"],
  });
  assert.equal(run.code, 2);
  assert.match(run.stderr, /x\.jsonl is a symbolic link: refusing to write through it/);
  await Deno.link(target, join(observerDir(root), "h.jsonl"));
  const hard = await runScript(root, {
    task: "run",
    script: "main.ts",
    args: ["--file", "h.jsonl"],
  });
  assert.equal(hard.code, 2);
  assert.match(hard.stderr, /h\.jsonl has 2 hard links: refusing to write through it/);
  assert.equal(await Deno.readTextFile(target), before);
});

Deno.test("--file with a newline or another control character is refused before anything is opened", async () => {
  const root = await copyProject();
  for (const name of ["a\nb.jsonl", "a\u001b[31m.jsonl", "a\u007f.jsonl"]) {
    const run = await runScript(root, { task: "run", script: "main.ts", args: ["--file", name] });
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /contains a control character/);
  }
  assert.deepEqual([...Deno.readDirSync(observerDir(root))], []);
});
