import assert from "node:assert/strict";
import { join } from "node:path";
import { copyProject, fileLines, fixture, runScript } from "../helpers/project.ts";

Deno.test("a missing input gives every command the same message and exit 2, and nothing is created", async () => {
  const root = await copyProject();
  const missing = join(root, "nope.jsonl");
  const runs = await Promise.all([
    runScript(root, { task: "run", script: "main.ts", args: ["--replay", missing] }),
    runScript(root, { task: "observer", script: "observer.ts", args: ["--input", missing] }),
    runScript(root, { task: "observer", script: "observer.ts", args: ["replay", missing] }),
    runScript(root, { task: "observer", script: "observer.ts", args: ["inspect", missing] }),
    runScript(root, { task: "observer", script: "observer.ts", args: ["report", missing] }),
  ]);
  for (const run of runs) {
    assert.equal(run.code, 2, run.stderr);
    assert.equal(run.stderr, `error: cannot read ${missing}: no such file\n`);
    assert.equal(run.stdout, "");
  }
  assert.deepEqual([...Deno.readDirSync(join(root, "data", "observer"))], [], "nothing created");
  const dir = await runScript(root, {
    task: "observer",
    script: "observer.ts",
    args: ["inspect", root],
  });
  assert.equal(dir.code, 2);
  assert.equal(dir.stderr, `error: cannot read ${root}: expected a file\n`);
});

Deno.test("--mode has one default (DEV) for the simulated market and for archives; --max-line-bytes is capped", async () => {
  const root = await copyProject();
  const kis = fixture("kis-swing-20260126.jsonl");
  const sim = await runScript(root, { task: "run", script: "main.ts", args: ["--ticks", "1"] });
  const archive = await runScript(root, {
    task: "run",
    script: "main.ts",
    args: ["--replay", kis, "--file", "a.jsonl"],
    extraRead: [kis],
  });
  const replay = await runScript(root, {
    task: "observer",
    script: "observer.ts",
    args: ["replay", "--file", "b.jsonl", kis],
    extraRead: [kis],
  });
  for (const run of [sim, archive, replay]) assert.equal(run.code, 0, run.stderr);
  for (const name of ["observer.jsonl", "a.jsonl", "b.jsonl"]) {
    const modes = new Set(
      (await fileLines(join(root, "data", "observer", name))).map((l) =>
        JSON.parse(l).snapshot.meta.mode
      ),
    );
    assert.deepEqual([...modes], ["DEV"], name);
  }
  const prod = await runScript(root, {
    task: "observer",
    script: "observer.ts",
    args: ["replay", "--mode", "PROD", "--file", "c.jsonl", kis],
    extraRead: [kis],
  });
  assert.equal(prod.code, 0, prod.stderr);
  assert.equal(
    JSON.parse((await fileLines(join(root, "data", "observer", "c.jsonl")))[0]).snapshot.meta.mode,
    "PROD",
  );
  const tooBig = await runScript(root, {
    task: "observer",
    script: "observer.ts",
    args: ["--max-line-bytes", "8388608"],
    stdin: "",
  });
  assert.equal(tooBig.code, 2);
  assert.match(tooBig.stderr, /--max-line-bytes.*expected at most 4194304/);
});
