import assert from "node:assert/strict";
import { join } from "node:path";
import {
  copyProject,
  fileLines,
  fixture,
  observerDir,
  parseSummaryLine,
  runScript,
} from "../helpers/project.ts";
import { snapshotLine } from "../helpers/snapshot_file.ts";

for (const workers of ["1", "2"]) {
  Deno.test(`rejected and blocked lines land in the dead-letter file; fixed there, they replay into records (--workers ${workers})`, async () => {
    const root = await copyProject();
    const blocked = snapshotLine(1).replace(/"price":\d+/, '"price":NaN');
    const garbage = "not json \u001b[31m at all";
    const input = join(root, "in.jsonl");
    await Deno.writeTextFile(
      input,
      [snapshotLine(0), blocked, garbage, snapshotLine(2)].join("\n") + "\n",
    );
    const first = await runScript(root, {
      task: "observer",
      script: "observer.ts",
      args: ["--input", input, "--file", "x.jsonl", "--workers", workers],
    });
    assert.equal(first.code, 1, first.stderr);
    const summary = parseSummaryLine(first.stdout);
    const deadPath = join(observerDir(root), "x.rejected.jsonl");
    assert.deepEqual(
      [
        summary.written,
        summary.blocked,
        summary.rejected,
        summary.dead_letters,
        summary.dead_letter_file,
      ],
      ["2", "1", "1", "2", deadPath],
    );
    assert.ok(!first.stderr.includes("\u001b"), "control characters from input are escaped");
    assert.match(
      first.stderr,
      /in\.jsonl:3: rejected: not valid JSON: expected a JSON value at column 1/,
    );
    const entries = (await fileLines(deadPath)).map((l) => JSON.parse(l));
    assert.deepEqual(entries.map((e) => [e.kind, e.line, e.input, e.text]), [
      ["blocked", 2, input, blocked],
      ["rejected", 3, input, garbage],
    ]);

    // The user fixes the blocked line in place and replays the dead-letter file.
    entries[0].text = entries[0].text.replace('"price":NaN', '"price":70001');
    await Deno.writeTextFile(deadPath, entries.map((e) => JSON.stringify(e)).join("\n") + "\n");
    const replay = await runScript(root, {
      task: "observer",
      script: "observer.ts",
      args: ["replay", "--file", "fixed.jsonl", "--workers", workers, deadPath],
    });
    assert.equal(replay.code, 1, replay.stderr);
    const again = parseSummaryLine(replay.stdout);
    assert.deepEqual([again.written, again.blocked, again.rejected], ["1", "0", "1"]);
    const fixed = (await fileLines(join(observerDir(root), "fixed.jsonl"))).map((l) =>
      JSON.parse(l)
    );
    assert.deepEqual(
      fixed.map((r) => [r.snapshot.meta.run_id, r.snapshot.observation.inputs.price]),
      [
        ["r1", 70001],
      ],
    );
    const still = (await fileLines(join(observerDir(root), "fixed.rejected.jsonl"))).map((l) =>
      JSON.parse(l)
    );
    assert.deepEqual(still.map((e) => [e.kind, e.line, e.input, e.format, e.text]), [
      ["rejected", 2, deadPath, "snapshots", garbage],
    ], "what fails again keeps its text and format, replayable the same way");
  });
}

Deno.test("a bad market-archive line is dead-lettered as kis-swing and replays as an archive line once fixed", async () => {
  const root = await copyProject();
  const good = (await fileLines(fixture("kis-swing-20260126.jsonl"))).slice(0, 2);
  const bad = good[1].replace(/"close": ?[\d.]+/, '"close": "oops"');
  const archive = join(root, "archive.jsonl");
  await Deno.writeTextFile(archive, [good[0], bad].join("\n") + "\n");
  const run = await runScript(root, {
    task: "observer",
    script: "observer.ts",
    args: ["replay", "--file", "k.jsonl", archive],
  });
  assert.equal(run.code, 1, run.stderr);
  const deadPath = join(observerDir(root), "k.rejected.jsonl");
  const [entry] = (await fileLines(deadPath)).map((l) => JSON.parse(l));
  assert.deepEqual([entry.kind, entry.line, entry.format, entry.text], [
    "rejected",
    2,
    "kis-swing",
    bad,
  ]);
  assert.match(entry.reasons[0], /price\.close: expected a number or null, got "oops"/);
  entry.text = good[1];
  await Deno.writeTextFile(deadPath, JSON.stringify(entry) + "\n");
  const replay = await runScript(root, {
    task: "observer",
    script: "observer.ts",
    args: ["replay", "--file", "k2.jsonl", deadPath],
  });
  assert.equal(replay.code, 0, replay.stderr);
  const [record] = (await fileLines(join(observerDir(root), "k2.jsonl"))).map((l) => JSON.parse(l));
  assert.equal(
    record.snapshot.meta.run_id,
    `kis:${JSON.parse(good[1]).symbol}:${JSON.parse(good[1]).ts}`,
  );
});

Deno.test("--file names ending in .rejected.jsonl are reserved for dead-letter files", async () => {
  const root = await copyProject();
  const run = await runScript(root, {
    task: "run",
    script: "main.ts",
    args: ["--file", "x.rejected.jsonl"],
  });
  assert.equal(run.code, 2);
  assert.match(run.stderr, /reserved for dead-letter files/);
});
