/**
 * A value that is not a number where one is expected (a price sent as "71000.0" or "abc") is
 * recorded as sent, never silently: the record carries the NON_NUMERIC_INPUT quality flag, the
 * summary counts it (non_numeric=N) and stderr says so; on one thread and with workers alike.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  copyProject,
  fileLines,
  observerDir,
  parseSummaryLine,
  runScript,
} from "../helpers/project.ts";
import { marketSnapshot } from "../helpers/snapshots.ts";
import type { PatternRecord } from "../../src/contract/pattern_record.ts";

const LINES = [
  marketSnapshot(0, { price: 71000, volume: 3 }),
  marketSnapshot(1, { price: "71000.0", volume: 3 }),
  marketSnapshot(2, { price: "abc", volume: 3 }),
  marketSnapshot(3, { price: 71001, volume: 3, close: "71001", bid: null }),
  marketSnapshot(4, { price: 71002, volume: 4 }),
].map((s) => JSON.stringify(s)).join("\n") + "\n";

Deno.test("observer.ts: non-numeric prices are flagged, counted in the summary and warned about (stdin and --workers 2)", async () => {
  const root = await copyProject();
  const input = join(root, "prices.jsonl");
  await Deno.writeTextFile(input, LINES.repeat(3));
  const runs = {
    stdin: await runScript(root, {
      task: "observer",
      script: "observer.ts",
      args: ["--file", "stdin.jsonl"],
      stdin: LINES.repeat(3),
    }),
    workers: await runScript(root, {
      task: "observer",
      script: "observer.ts",
      args: ["--file", "workers.jsonl", "--input", input, "--workers", "2"],
    }),
  };
  for (const [name, run] of Object.entries(runs)) {
    assert.equal(run.code, 0, `${name}: recorded, exit 0: ${run.stderr}`);
    const summary = parseSummaryLine(run.stdout);
    assert.equal(summary.written, "15", name);
    assert.equal(summary.non_numeric, "9", name);
    assert.match(run.stderr, /warning: 9 records have a value that is not a number/, name);
    const records = (await fileLines(join(observerDir(root), `${name}.jsonl`))).map((l) =>
      JSON.parse(l) as PatternRecord
    );
    const flagged = records.map((r) =>
      r.metadata._quality!.flags.includes("NON_NUMERIC_INPUT") ? 1 : 0
    );
    assert.deepEqual(flagged, [0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0], name);
    assert.equal(records[1].snapshot.observation.inputs.price, "71000.0", "recorded as sent");
  }
  const inspect = await runScript(root, {
    task: "observer",
    script: "observer.ts",
    args: ["inspect", join(observerDir(root), "stdin.jsonl")],
  });
  assert.match(inspect.stdout, /NON_NUMERIC_INPUT\s*│\s*9/);
});

Deno.test("a clean run's summary has no non_numeric field and no warning", async () => {
  const root = await copyProject();
  const run = await runScript(root, {
    task: "observer",
    script: "observer.ts",
    stdin: JSON.stringify(marketSnapshot(0)) + "\n",
  });
  assert.equal(run.code, 0);
  assert.equal(parseSummaryLine(run.stdout).non_numeric, undefined);
  assert.doesNotMatch(run.stderr, /warning:/);
});
