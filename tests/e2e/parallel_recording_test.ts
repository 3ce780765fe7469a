/**
 * Ordered parallel recording, end to end: `observer.ts` and `main.ts` started with their tasks'
 * permission flags, recording the same inputs with `--workers 1` (one thread) and with 2 and 4
 * workers, compared byte for byte; line numbers checked against where the bad lines were put;
 * and the runs parallel recording cannot serve refused with exit 2.
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
import { snapshotLine } from "../helpers/snapshot_file.ts";
import { mixedInput } from "../helpers/mixed_input.ts";

const rejectedOnStderr = (run: ScriptRun) =>
  run.stderr.split("\n").filter((l) => l.includes(": rejected: "));

const blockedOnStderr = (run: ScriptRun) =>
  run.stderr.split("\n").filter((l) => l.includes(" blocked by ")).map((l) => l.replace(/^\S+ /, "") // the log time
  );

Deno.test("--workers 2 and 4 write byte for byte what --workers 1 writes (replay --clock snapshot), with the same dead letters, line numbers, messages and counts", async () => {
  const root = await copyProject();
  const input = join(root, "mixed.jsonl");
  const { text, planted, good } = mixedInput(40_000);
  await Deno.writeTextFile(input, text);
  const runs = new Map<string, ScriptRun>();
  for (const workers of ["1", "2", "4"]) {
    runs.set(
      workers,
      await runScript(root, {
        task: "observer",
        script: "observer.ts",
        args: [
          "replay",
          "--clock",
          "snapshot",
          "--max-line-bytes",
          "65536",
          "--workers",
          workers,
          "--file",
          `w${workers}.jsonl`,
          input,
        ],
      }),
    );
  }
  const one = runs.get("1")!;
  assert.equal(one.code, 1, one.stderr.slice(0, 2000));
  const summary = parseSummaryLine(one.stdout);
  assert.deepEqual(
    [summary.written, summary.rejected, summary.blocked, summary.dead_letters],
    [
      String(good),
      String(planted.filter((p) => p.kind === "rejected").length),
      String(planted.filter((p) => p.kind === "blocked").length),
      String(planted.length),
    ],
  );
  const records = await Deno.readFile(join(observerDir(root), "w1.jsonl"));
  const letters = async (workers: string) =>
    (await fileLines(join(observerDir(root), `w${workers}.rejected.jsonl`))).map((line) => {
      const entry = JSON.parse(line);
      assert.match(entry.recorded_at, /^\d{4}-\d\d-\d\dT/);
      return { ...entry, recorded_at: "(wall clock)" };
    });
  const oneLetters = await letters("1");
  assert.deepEqual(
    oneLetters.map((e) => [e.line, e.kind, e.text ?? ""]),
    planted.map((p) => [p.line, p.kind, p.text]),
    "every bad line dead-lettered with its exact line number and text",
  );
  assert.deepEqual(
    rejectedOnStderr(one).map((l) => l.slice(0, l.indexOf(": rejected: "))),
    planted.filter((p) => p.kind === "rejected").map((p) => `${input}:${p.line}`),
    "stderr names each rejected line by its number",
  );
  for (const workers of ["2", "4"]) {
    const run = runs.get(workers)!;
    const at = `--workers ${workers}`;
    assert.equal(run.code, 1, `${at}: ${run.stderr.slice(0, 2000)}`);
    const { file: _a, dead_letter_file: _b, ...counts } = parseSummaryLine(run.stdout);
    const { file: _c, dead_letter_file: _d, ...oneCounts } = summary;
    assert.deepEqual(counts, oneCounts, `${at}: the same summary`);
    const bytes = await Deno.readFile(join(observerDir(root), `w${workers}.jsonl`));
    assert.ok(
      bytes.length === records.length && bytes.every((b, i) => b === records[i]),
      `${at}: the record file is byte-identical to --workers 1 (${bytes.length} vs ${records.length} bytes)`,
    );
    assert.deepEqual(await letters(workers), oneLetters, `${at}: the same dead letters`);
    assert.deepEqual(rejectedOnStderr(run), rejectedOnStderr(one), `${at}: the same messages`);
    assert.deepEqual(blockedOnStderr(run), blockedOnStderr(one), `${at}: the same block logs`);
  }
});

Deno.test("main.ts --replay --workers 2 records the KIS archive as --workers 1 does (generated_at aside)", async () => {
  const root = await copyProject();
  const kis = fixture("kis-swing-20260126.jsonl");
  const lines = async (workers: string) => {
    const run = await runScript(root, {
      task: "run",
      script: "main.ts",
      args: ["--replay", kis, "--workers", workers, "--file", `kis${workers}.jsonl`],
      extraRead: [kis],
    });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(parseSummaryLine(run.stdout).written, "1512");
    return (await fileLines(join(observerDir(root), `kis${workers}.jsonl`))).map((l) =>
      l.replace(/"generated_at":"[^"]+"/g, '"generated_at":""')
    );
  };
  assert.deepEqual(await lines("2"), await lines("1"));
});

Deno.test("--workers N > 1 where parallel recording cannot serve exits 2 naming why; without the flag such runs use one thread", async () => {
  const root = await copyProject();
  const input = join(root, "in.jsonl");
  await Deno.writeTextFile(input, [0, 1, 2].map(snapshotLine).join("\n") + "\n");
  const fanOut = join(root, "fan_out.jsonc");
  await Deno.copyFile(join(import.meta.dirname!, "../../examples/config/fan_out.jsonc"), fanOut);
  const cases: [string[], RegExp][] = [
    [
      ["--config", fanOut, "--input", input, "--workers", "2"],
      /^error: --workers 2: parallel recording writes one JSONL file; expected one sink \(a JSONL file\), got 3 \(jsonl, jsonl, jsonl\): use --workers 1/,
    ],
    [
      ["--input", input, "--rotate-bytes", "100000", "--workers", "2"],
      /^error: --workers 2: .*expected no size rotation \(--rotate-bytes/,
    ],
    [["--workers", "2"], /^error: --workers 2: standard input is read by one thread/],
  ];
  for (const [args, message] of cases) {
    const run = await runScript(root, {
      task: "observer",
      script: "observer.ts",
      args,
      stdin: "",
    });
    assert.equal(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
    assert.match(run.stderr, message);
  }
  const simulated = await runScript(root, {
    task: "run",
    script: "main.ts",
    args: ["--workers", "2", "--ticks", "2"],
  });
  assert.equal(simulated.code, 2);
  assert.match(simulated.stderr, /--workers 2: the simulated market runs on one thread/);
  assert.deepEqual(
    [...Deno.readDirSync(observerDir(root))].map((e) => e.name),
    [],
    "nothing was opened",
  );
  const fallback = await runScript(root, {
    task: "observer",
    script: "observer.ts",
    args: ["--config", fanOut, "--input", input],
  });
  assert.equal(fallback.code, 0, fallback.stderr);
  assert.match(fallback.stdout, /^summary: records=3 sinks=3/);
});
