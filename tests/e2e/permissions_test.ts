/**
 * `deno task permissions` prints a `deno run` line whose fence is widened by exactly what one run
 * needs: a file outside the project becomes readable, a configuration's server reachable, and
 * nothing else changes. The line is run as a user would, through a shell, from another directory.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { shellWord } from "../../tools/run_line.ts";
import { natsServerUnavailable } from "../helpers/nats.ts";
import { withNatsProject } from "../helpers/nats_project.ts";
import { copyProject, fixture, runScript, type ScriptRun } from "../helpers/project.ts";
import { removeTempDir, tempDir } from "../helpers/temp.ts";

const decoder = new TextDecoder();

/** Runs `program` with `args` in `cwd` (no colours) and collects its exit code and output. */
async function run(program: string, args: string[], cwd: string): Promise<ScriptRun> {
  const output = await new Deno.Command(program, {
    args,
    cwd,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** Runs `deno task -q permissions <args>` in the project copy at `root`: the printed line. */
async function permissionsLine(root: string, args: string[]): Promise<ScriptRun> {
  const printed = await run(Deno.execPath(), ["task", "-q", "permissions", ...args], root);
  return { ...printed, stdout: printed.stdout.trim() };
}

/** Runs `line` followed by `args` through bash in `cwd`, as `eval "$line ..."` would. */
function runLine(line: string, args: string[], cwd: string): Promise<ScriptRun> {
  return run("bash", ["-c", `${line} ${args.map(shellWord).join(" ")}`], cwd);
}

Deno.test("the printed line reads a record file outside the project; the task alone may not", async () => {
  const root = await copyProject();
  const outside = await tempDir("archive");
  try {
    const records = join(outside, "records of 'today'.jsonl");
    await Deno.copyFile(fixture("qts-python-records.jsonl"), records);

    const fenced = await runScript(root, {
      task: "observer",
      script: "observer.ts",
      args: ["inspect", records],
    });
    assert.equal(fenced.code, 2, fenced.stderr);

    const printed = await permissionsLine(root, ["--read", outside, "observer"]);
    assert.equal(printed.code, 0, printed.stderr);
    assert.match(printed.stdout, /^deno run --no-prompt /);
    assert.ok(printed.stdout.includes(`--allow-read=${root},${outside} `), printed.stdout);
    assert.ok(printed.stdout.includes(`--allow-write=${join(root, "data", "observer")} `));
    assert.ok(!/ -A |--allow-all|--allow-run|--allow-ffi/.test(printed.stdout), printed.stdout);

    const lines = (await Deno.readTextFile(records)).split("\n").filter((l) => l !== "").length;
    const inspected = await runLine(printed.stdout, ["inspect", records], outside);
    assert.equal(inspected.code, 0, inspected.stderr);
    assert.match(inspected.stdout, new RegExp(`\\b${lines}\\b`));
  } finally {
    await removeTempDir(outside);
    await removeTempDir(root);
  }
});

Deno.test("a bad task or an invalid configuration is refused with exit 2 and a reason", async () => {
  const root = await copyProject();
  try {
    const task = await permissionsLine(root, ["bench"]);
    assert.equal(task.code, 2);
    assert.match(task.stderr, /expected one of the tasks run, observer, serve, catalog, query/);

    const config = join(root, "bad.json");
    await Deno.writeTextFile(config, '{"sinks": []}');
    const bad = await permissionsLine(root, ["--config", config, "observer"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /bad\.json/);
    assert.match(bad.stderr, /sinks: expected at least one sink/);
    assert.equal(bad.stdout, "");
  } finally {
    await removeTempDir(root);
  }
});

const natsUnavailable = natsServerUnavailable();

Deno.test({
  name: "the printed line reaches the server a configuration names; the task stops at the fence",
  ignore: natsUnavailable !== undefined,
  async fn() {
    await withNatsProject(async ({ root, config, server, jsm, streamCreate }) => {
      const fenced = await streamCreate();
      assert.equal(fenced.code, 2, fenced.stderr);
      assert.match(fenced.stderr, new RegExp(`--allow-net=127\\.0\\.0\\.1:${server.port}`));

      const printed = await permissionsLine(root, ["--config", config, "observer"]);
      assert.equal(printed.code, 0, printed.stderr);
      const net = printed.stdout.match(/--allow-net=(\S+)/)?.[1].split(",") ?? [];
      assert.deepEqual(net, [
        "127.0.0.1:5432",
        "localhost:5432",
        "127.0.0.1:4222",
        "localhost:4222",
        `127.0.0.1:${server.port}`,
      ]);

      const created = await runLine(printed.stdout, ["stream", "create", "--config", config], root);
      assert.equal(created.code, 0, created.stderr);
      const info = await jsm.streams.info("QTS_TEST");
      assert.equal(info.config.name, "QTS_TEST");
    });
  },
});
