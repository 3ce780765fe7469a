import assert from "node:assert/strict";
import { join } from "node:path";
import { hashFraction } from "../../src/sinks/record_sampler.ts";
import {
  copyProject,
  fileLines,
  observerDir,
  parseSummaryLine,
  PROJECT_ROOT,
  runScript,
} from "../helpers/project.ts";
import { snapshotLine, syntheticSnapshot } from "../helpers/snapshot_file.ts";

const CONFIG = `// three sinks at once
{
  "sinks": [
    { "type": "jsonl", "name": "archive", "file": "all.jsonl" },
    { "type": "jsonl", "name": "review", "file": "review.jsonl", "filter": { "guard": "BLOCK" } },
    {
      "type": "jsonl", "name": "dash", "file": "dash.jsonl",
      "filter": { "symbol": ["005930", "0006*"], "where": "inputs.volume >= 110" },
      "sample": { "every": 10 },
    },
    { "type": "jsonl", "name": "tenth", "file": "tenth.jsonl", "sample": { "probability": 0.1 } },
  ],
}
`;

/** 400 synthetic snapshots, two of them blocked (NaN price), one line that is not JSON. */
function inputLines(): { lines: string[]; blocked: Set<number> } {
  const blocked = new Set([7, 250]);
  const lines: string[] = [];
  for (let i = 0; i < 400; i++) {
    lines.push(
      blocked.has(i) ? snapshotLine(i).replace(/"price":\d+/, '"price":NaN') : snapshotLine(i),
    );
    if (i === 100) lines.push("garbage");
  }
  return { lines, blocked };
}

/** What each sink must hold, worked out here from the snapshots, not by the Observer's code. */
function expectedRunIds(blocked: Set<number>) {
  const passed = [...Array(400).keys()].filter((i) => !blocked.has(i)).map(syntheticSnapshot);
  const perSymbol = new Map<string, number>();
  const dash = passed.filter((s) => {
    const symbol = s.context.symbol!;
    if (!(symbol === "005930" || symbol.startsWith("0006"))) return false;
    if ((s.observation.inputs.volume as number) < 110) return false;
    const n = perSymbol.get(symbol) ?? 0;
    perSymbol.set(symbol, n + 1);
    return n % 10 === 0;
  });
  return {
    dashTaken: [...perSymbol.values()].reduce((a, b) => a + b, 0),
    all: passed.map((s) => s.meta.run_id),
    review: [...blocked].map((i) => `r${i}`),
    dash: dash.map((s) => s.meta.run_id),
    tenth: passed.filter((s) => hashFraction(s.meta.run_id) < 0.1).map((s) => s.meta.run_id),
  };
}

async function runIds(path: string): Promise<string[]> {
  return (await fileLines(path)).map((l) => JSON.parse(l).snapshot.meta.run_id);
}

Deno.test("--config fans one recording out to several files, each with exactly the records its filter and sampling select, twice alike", async () => {
  const root = await copyProject();
  const { lines, blocked } = inputLines();
  const input = join(root, "in.jsonl");
  await Deno.writeTextFile(input, lines.join("\n") + "\n");
  await Deno.writeTextFile(join(root, "fan.jsonc"), CONFIG);
  const expected = expectedRunIds(blocked);
  assert.ok(expected.dash.length > 5 && expected.tenth.length > 20, "the selections are not empty");

  for (const round of [1, 2]) {
    await Deno.remove(observerDir(root), { recursive: true }).catch(() => {});
    const run = await runScript(root, {
      task: "observer",
      script: "observer.ts",
      args: ["--config", join(root, "fan.jsonc"), "--input", input],
      cwd: root,
    });
    assert.equal(run.code, 1, run.stderr); // blocked and rejected lines make the run incomplete
    const dir = observerDir(root);
    assert.deepEqual(await runIds(join(dir, "all.jsonl")), expected.all, `round ${round}`);
    assert.deepEqual(await runIds(join(dir, "dash.jsonl")), expected.dash, `round ${round}`);
    assert.deepEqual(await runIds(join(dir, "tenth.jsonl")), expected.tenth, `round ${round}`);
    const review = (await fileLines(join(dir, "review.jsonl"))).map((l) => JSON.parse(l));
    assert.deepEqual(review.map((r) => r.snapshot.meta.run_id), expected.review);
    for (const r of review) {
      assert.equal(r.metadata.guard.action, "BLOCK");
      assert.match(r.metadata.guard.reason, /observation\.inputs\.price: expected a finite number/);
    }
    const summary = parseSummaryLine(run.stdout);
    assert.deepEqual(
      [summary.records, summary.sinks, summary.blocked, summary.rejected, summary.dead_letters],
      ["398", "4", "2", "1", "3"],
    );
    const sinkLines = run.stdout.split("\n").filter((l) => l.startsWith("sink "));
    assert.deepEqual(sinkLines.map((l) => l.replace(/ file=.*/, "")), [
      "sink archive: type=jsonl written=398 filtered=0 sampled=0 dropped=0 not_written=0",
      "sink review: type=jsonl written=2 filtered=398 sampled=0 dropped=0 not_written=0",
      `sink dash: type=jsonl written=${expected.dash.length} filtered=${
        398 - expected.dashTaken
      } sampled=${expected.dashTaken - expected.dash.length} dropped=0 not_written=0`,
      `sink tenth: type=jsonl written=${expected.tenth.length} filtered=0 sampled=${
        398 - expected.tenth.length
      } dropped=0 not_written=0`,
    ]);
    assert.match(run.stderr, /Sink dash: \d+ written, \d+ filtered out, \d+ sampled out/);
    // The dead letters go beside the first JSONL sink's file.
    assert.equal((await fileLines(join(dir, "all.rejected.jsonl"))).length, 3);
  }
});

Deno.test("a stdout sink pipes records to standard output and the summary moves to stderr", async () => {
  const root = await copyProject();
  await Deno.writeTextFile(
    join(root, "pipe.jsonc"),
    `{ "sinks": [{ "type": "stdout", "filter": { "symbol": "000660" } }] }`,
  );
  const stdin = [0, 1, 2, 3, 4, 5].map(snapshotLine).join("\n") + "\n";
  const run = await runScript(root, {
    task: "observer",
    script: "observer.ts",
    args: ["--config", join(root, "pipe.jsonc")],
    stdin,
    cwd: root,
  });
  assert.equal(run.code, 0, run.stderr);
  const out = run.stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(out.map((r) => r.snapshot.meta.run_id), ["r1", "r5"]);
  assert.match(
    run.stderr,
    /^summary: records=6 sinks=1 .*\nsink stdout#0: type=stdout written=2 filtered=4 /m,
  );
  const files = [...Deno.readDirSync(observerDir(root))].map((e) => e.name).filter((n) =>
    n.endsWith(".jsonl")
  );
  assert.deepEqual(files, [], "nothing but the lock is written to disk");
});

Deno.test("a bad configuration, or --config beside sink flags, exits 2 before anything is opened", async () => {
  const root = await copyProject();
  await Deno.writeTextFile(
    join(root, "bad.jsonc"),
    `{ "sinks": [{ "type": "jsonl", "file": "a.jsonl", "sample": { "every": 0 } }] }`,
  );
  await Deno.writeTextFile(join(root, "good.jsonc"), `{ "sinks": [{ "type": "stdout" }] }`);
  const at = (name: string) => join(root, name);
  const cases: [string[], RegExp][] = [
    [
      ["--config", at("bad.jsonc")],
      /sinks\[0\]\.sample\.every: expected a positive integer, got 0/,
    ],
    [["--config", at("missing.jsonc")], /missing\.jsonc.*\n {2}cannot read it/],
    [
      ["--config", at("good.jsonc"), "--file", "x.jsonl", "--fsync", "always"],
      /--file, --fsync and --config: expected the sinks in one place/,
    ],
  ];
  for (const [args, message] of cases) {
    const run = await runScript(root, {
      task: "observer",
      script: "observer.ts",
      args,
      stdin: "",
      cwd: root,
    });
    assert.equal(run.code, 2, args.join(" "));
    assert.match(run.stderr, message);
    assert.equal(run.stdout, "");
  }
  assert.deepEqual([...Deno.readDirSync(observerDir(root))], [], "nothing was created");
  const main = await runScript(root, {
    task: "run",
    script: "main.ts",
    args: ["--config", at("bad.jsonc")],
    cwd: root,
  });
  assert.equal(main.code, 2);
  assert.match(main.stderr, /sinks\[0\]\.sample\.every/);
});

Deno.test("config check prints the effective configuration, or every problem with exit 2", async () => {
  const root = await copyProject();
  await Deno.mkdir(join(root, "examples", "config"), { recursive: true });
  await Deno.copyFile(
    join(PROJECT_ROOT, "examples", "config", "fan_out.jsonc"),
    join(root, "examples", "config", "fan_out.jsonc"),
  );
  const good = await runScript(root, {
    task: "observer",
    script: "observer.ts",
    args: ["config", "check", join(root, "examples", "config", "fan_out.jsonc")],
    cwd: root,
  });
  assert.equal(good.code, 0, good.stderr);
  const effective = JSON.parse(good.stdout);
  assert.deepEqual(effective.sinks.map((s: { name: string }) => s.name), [
    "archive",
    "review",
    "dashboard",
  ]);
  assert.equal(effective.sinks[0].queue_bytes, 4194304, "defaults are filled in");
  await Deno.writeTextFile(join(root, "bad.jsonc"), `{ "sinks": [{ "type": "stdout", "x": 1 }] }`);
  const bad = await runScript(root, {
    task: "observer",
    script: "observer.ts",
    args: ["config", "check", join(root, "bad.jsonc")],
    cwd: root,
  });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /sinks\[0\]\.x: expected no such field/);
});

Deno.test("main.ts and observer.ts replay take --config too", async () => {
  const root = await copyProject();
  const config = join(root, "two.jsonc");
  await Deno.writeTextFile(
    config,
    `{ "sinks": [
      { "type": "jsonl", "file": "sim_all.jsonl" },
      { "type": "jsonl", "file": "sim_005930.jsonl", "filter": { "symbol": "005930" } }
    ] }`,
  );
  const main = await runScript(root, {
    task: "run",
    script: "main.ts",
    args: ["--ticks", "10", "--symbols", "005930,000660", "--config", config],
  });
  assert.equal(main.code, 0, main.stderr);
  const dir = observerDir(root);
  assert.equal((await fileLines(join(dir, "sim_all.jsonl"))).length, 20);
  const one = (await fileLines(join(dir, "sim_005930.jsonl"))).map((l) => JSON.parse(l));
  assert.equal(one.length, 10);
  assert.ok(one.every((r) => r.snapshot.context.symbol === "005930"));

  await Deno.writeTextFile(
    config,
    `{ "sinks": [{ "type": "jsonl", "file": "replayed.jsonl", "filter": { "symbol": "000660" } }] }`,
  );
  const replay = await runScript(root, {
    task: "observer",
    script: "observer.ts",
    args: ["replay", "--config", config, join(dir, "sim_all.jsonl")],
  });
  assert.equal(replay.code, 0, replay.stderr);
  const replayed = (await fileLines(join(dir, "replayed.jsonl"))).map((l) => JSON.parse(l));
  assert.equal(replayed.length, 10);
  assert.match(replay.stdout, /sink replayed\.jsonl: type=jsonl written=10 filtered=10 /);
});
