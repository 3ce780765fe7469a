import assert from "node:assert/strict";
import { openPipeline } from "../../src/app/pipeline.ts";
import { isCleanRun } from "../../src/app/run_summary.ts";
import { formatSummary } from "../../src/cli/summary_line.ts";
import { recordStream } from "../../src/app/replay.ts";
import { fileLines, fixture } from "../helpers/project.ts";
import { tempDir } from "../helpers/temp.ts";

Deno.test("a pipeline records snapshot lines; blocked ones go to the dead-letter file with their original text", async () => {
  const root = await tempDir();
  const pipeline = await openPipeline({ root, fileName: "p.jsonl", tuning: { fsync: "none" } });
  const input = fixture("python-snapshots.jsonl");
  using file = await Deno.open(input);
  const result = await recordStream(pipeline.observer, input, file.readable, {
    format: "snapshots",
    deadLetters: pipeline.deadLetters,
    now: () => Date.UTC(2026, 0, 26),
  });
  assert.deepEqual(result, { snapshots: 7, rejected: 0, interrupted: false });
  const summary = await pipeline.close({ rejected: 1 });
  assert.equal(await pipeline.close(), summary, "close is idempotent");
  assert.equal(summary.sinks[0].written, 5);
  assert.equal(summary.observer.blockedByValidation, 2);
  assert.equal(isCleanRun(summary), false);
  const dead = `${root}/data/observer/p.rejected.jsonl`;
  assert.equal(
    formatSummary(summary),
    `summary: written=5 blocked=2 rejected=1 dropped=0 not_written=0 ` +
      `file=${root}/data/observer/p.jsonl dead_letters=2 dead_letter_file=${dead}`,
  );
  assert.equal((await fileLines(`${root}/data/observer/p.jsonl`)).length, 5);
  const originals = await fileLines(input);
  const entries = (await fileLines(dead)).map((l) => JSON.parse(l));
  assert.deepEqual(entries.map((e) => [e.kind, e.line, e.run_id, e.format, e.input]), [
    ["blocked", 5, "fixture0004", "snapshots", input],
    ["blocked", 7, "inf01", "snapshots", input],
  ]);
  assert.equal(entries[0].text, originals[4], "the original text, NaN token and all");
  assert.equal(entries[1].text, originals[6]);
  assert.match(entries[0].reasons[0], /observation\.inputs\.price: expected a finite number/);
  assert.equal(entries[0].recorded_at, "2026-01-26T00:00:00.000Z");
  assert.equal(entries[0].dead_letter, "qts-dead-letter/v1");
});

Deno.test("the summary names records not written and why", () => {
  const line = formatSummary({
    rejected: 0,
    interrupted: true,
    observer: { received: 3, dispatched: 3, blockedByGuard: 0, blockedByValidation: 0, ignored: 0 },
    sinks: [{
      name: "x.jsonl",
      type: "jsonl",
      selective: false,
      path: "/x.jsonl",
      written: 1,
      dropped: 0,
      failed: 2,
      failure: "ENOSPC: full",
      filtered: 0,
      sampled: 0,
    }],
    deadLetters: { entries: 3, failed: 1, path: "/x.rejected.jsonl" },
  });
  assert.equal(
    line,
    'summary: written=1 blocked=0 rejected=0 dropped=0 not_written=2 not_written_reason="ENOSPC: full" interrupted=true file=/x.jsonl dead_letters=2 dead_letter_file=/x.rejected.jsonl dead_letters_not_written=1',
  );
});

Deno.test("with several sinks the summary gives totals, then one line per sink", () => {
  const sink = { dropped: 0, failed: 0, filtered: 0, sampled: 0, selective: true };
  const text = formatSummary({
    rejected: 1,
    interrupted: false,
    observer: {
      received: 10,
      dispatched: 9,
      blockedByGuard: 0,
      blockedByValidation: 1,
      ignored: 0,
    },
    sinks: [
      { ...sink, name: "all", type: "jsonl", path: "/a.jsonl", written: 9, selective: false },
      { ...sink, name: "review", type: "jsonl", path: "/r.jsonl", written: 1, filtered: 9 },
      { ...sink, name: "out", type: "stdout", written: 2, sampled: 7, dropped: 1, failed: 1 },
    ],
    deadLetters: { entries: 0, failed: 0 },
  });
  assert.deepEqual(text.split("\n"), [
    "summary: records=9 sinks=3 blocked=1 rejected=1 dropped=1 not_written=1",
    "sink all: type=jsonl written=9 filtered=0 sampled=0 dropped=0 not_written=0 file=/a.jsonl",
    "sink review: type=jsonl written=1 filtered=9 sampled=0 dropped=0 not_written=0 file=/r.jsonl",
    "sink out: type=stdout written=2 filtered=0 sampled=7 dropped=1 not_written=1",
  ]);
});
