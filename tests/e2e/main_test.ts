import assert from "node:assert/strict";
import { join } from "node:path";
import { openRecordFile } from "../../src/records/record_reader.ts";
import { validateSnapshot } from "../../src/observer/validation.ts";
import {
  copyProject,
  fileLines,
  parseSummaryLine,
  runScript,
  spawnScript,
  taskPermissionFlags,
  waitForFileSize,
} from "../helpers/project.ts";
import { tempDir } from "../helpers/temp.ts";

Deno.test("main.ts records a simulated session into <root>/data/observer from another CWD", async () => {
  const root = await copyProject();
  const run = await runScript(root, { task: "run", script: "main.ts", args: ["--ticks", "10"] });
  assert.equal(run.code, 0, run.stderr);
  const path = join(root, "data", "observer", "observer.jsonl");
  const summary = parseSummaryLine(run.stdout);
  assert.deepEqual(
    { written: summary.written, blocked: summary.blocked, file: summary.file },
    { written: "30", blocked: "0", file: path },
  );
  const symbols = new Set<string>();
  let count = 0;
  for await (const { record } of openRecordFile(path)) {
    assert.equal(validateSnapshot(record.snapshot).severity, "INFO");
    const { inputs, computed } = record.snapshot.observation;
    assert.deepEqual(Object.keys(inputs), ["price", "volume", "bid", "ask"]);
    assert.ok("sma" in computed && "volatility" in computed && "return_1" in computed);
    symbols.add(record.snapshot.context.symbol!);
    count++;
  }
  assert.equal(count, 30, "strict reading: every line is a record");
  assert.equal(symbols.size, 3);
  assert.match(run.stderr, /Observer-Core started/);
  assert.match(run.stderr, /JsonlFileSink initialized/);
});

Deno.test("main.ts: the same seed gives the same prices, another seed other prices", async () => {
  const root = await copyProject();
  const prices = async (seed: string, file: string) => {
    const run = await runScript(root, {
      task: "run",
      script: "main.ts",
      args: ["--seed", seed, "--ticks", "5", "--symbols", "AAA,BBB", "--file", file],
    });
    assert.equal(run.code, 0, run.stderr);
    return (await fileLines(join(root, "data", "observer", file))).map((l) =>
      JSON.parse(l).snapshot.observation.inputs.price
    );
  };
  const a = await prices("7", "a.jsonl");
  assert.equal(a.length, 10);
  assert.deepEqual(await prices("7", "b.jsonl"), a);
  assert.notDeepEqual(await prices("8", "c.jsonl"), a);
});

Deno.test("main.ts --file ../x.jsonl is refused with a clear message and writes nothing", async () => {
  const root = await copyProject();
  const run = await runScript(root, {
    task: "run",
    script: "main.ts",
    args: ["--file", "../x.jsonl"],
  });
  assert.equal(run.code, 2);
  assert.match(
    run.stderr,
    /invalid file name "\.\.\/x\.jsonl": expected a bare file name ending in "\.jsonl"/,
  );
  assert.deepEqual([...Deno.readDirSync(join(root, "data", "observer"))], []);
  assert.equal(await Deno.stat(join(root, "data", "x.jsonl")).catch(() => null), null);
});

Deno.test("the run task's permissions refuse a write outside data/observer", async () => {
  const root = await copyProject();
  const probe = join(root, "probe.ts");
  await Deno.writeTextFile(
    probe,
    `try { await Deno.writeTextFile(${
      JSON.stringify(join(root, "outside.txt"))
    }, "x"); console.log("WROTE"); }
     catch (e) { console.log(e.name); }
     await Deno.writeTextFile(${JSON.stringify(join(root, "data", "observer", "inside.txt"))}, "x");
     console.log("INSIDE");`,
  );
  const flags = await taskPermissionFlags("run", root);
  assert.ok(!flags.includes("-A") && !flags.includes("--allow-all"));
  assert.ok(flags.includes("--no-prompt"), "a missing permission is an error, never a prompt");
  assert.ok(flags.includes(`--allow-write=${join(root, "data", "observer")}`), flags.join(" "));
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, probe],
    cwd: await tempDir(),
  }).output();
  assert.equal(new TextDecoder().decode(output.stdout), "NotCapable\nINSIDE\n");
  assert.equal(await Deno.stat(join(root, "outside.txt")).catch(() => null), null);
});

Deno.test("main.ts --help documents every flag; a bad flag value exits 2 with what was expected", async () => {
  const root = await copyProject();
  const help = await runScript(root, { task: "run", script: "main.ts", args: ["--help"] });
  assert.equal(help.code, 0);
  for (
    const flag of [
      "--symbols",
      "--ticks",
      "--seed",
      "--session",
      "--mode",
      "--file",
      "--fsync",
      "--when-full",
      "--queue-bytes",
      "--flush-bytes",
      "--flush-interval-ms",
      "--rotate-minutes",
      "--rotate-bytes",
      "--keep",
      "--log-level",
    ]
  ) assert.ok(help.stdout.includes(flag), flag);
  const bad = await runScript(root, { task: "run", script: "main.ts", args: ["--ticks", "zero"] });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--ticks <n>' argument 'zero' is invalid\. expected a positive integer/);
});

Deno.test("main.ts on SIGINT: stops the session, drains, prints the summary, exits 0", async () => {
  const root = await copyProject();
  const path = join(root, "data", "observer", "observer.jsonl");
  const child = await spawnScript(root, {
    task: "run",
    script: "main.ts",
    args: ["--ticks", "2000000", "--symbols", "A", "--log-level", "warning"],
  });
  await waitForFileSize(path, 256 * 1024);
  child.kill("SIGINT");
  const output = await child.output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  const summary = parseSummaryLine(new TextDecoder().decode(output.stdout));
  assert.equal(summary.interrupted, "true");
  const lines = await fileLines(path);
  assert.equal(Number(summary.written), lines.length);
  assert.ok(lines.length < 2_000_000);
  lines.forEach((line, i) =>
    assert.equal(JSON.parse(line).snapshot.observation.state.tick_index, i)
  );
});

Deno.test("main.ts --replay with --publish or --post is refused (exit 2) saying how to send an archive, instead of sending the simulated session", async () => {
  const root = await copyProject();
  const archive = join(root, "tests", "fixtures", "kis-swing-20260126.jsonl");
  for (const send of [["--publish", "nats://127.0.0.1:4222"], ["--post", "http://127.0.0.1:1"]]) {
    const run = await runScript(root, {
      task: "run",
      script: "main.ts",
      args: ["--replay", archive, ...send],
    });
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, new RegExp(`--replay with ${send[0]}: .*observer replay --config`));
    assert.equal(run.stdout, "");
  }
});
