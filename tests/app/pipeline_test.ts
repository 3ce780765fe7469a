import assert from "node:assert/strict";
import { openPipeline } from "../../src/app/pipeline.ts";
import { formatSummary, isCleanRun } from "../../src/app/run_summary.ts";
import { recordSnapshotLines } from "../../src/app/record_snapshots.ts";
import { readLines } from "../../src/io/line_reader.ts";
import { snapshotLines } from "../../src/sources/snapshot_lines.ts";
import { fileLines, fixture } from "../helpers/project.ts";
import { tempDir } from "../helpers/temp.ts";

Deno.test("a pipeline records snapshot lines and its summary says what happened", async () => {
  const root = await tempDir();
  const pipeline = await openPipeline({ root, fileName: "p.jsonl", tuning: { fsync: "none" } });
  using file = await Deno.open(fixture("python-snapshots.jsonl"));
  const rejectedLines: number[] = [];
  const result = await recordSnapshotLines(
    pipeline.observer,
    snapshotLines(readLines(file.readable)),
    { onRejected: (line) => rejectedLines.push(line) },
  );
  assert.deepEqual(result, { snapshots: 7, rejected: 0, interrupted: false });
  const summary = await pipeline.close({ rejected: 1 });
  assert.equal(await pipeline.close(), summary, "close is idempotent");
  assert.equal(summary.sink.written, 5);
  assert.equal(summary.observer.blockedByValidation, 2);
  assert.equal(isCleanRun(summary), false);
  assert.equal(
    formatSummary(summary),
    `summary: written=5 blocked=2 rejected=1 dropped=0 not_written=0 file=${root}/data/observer/p.jsonl`,
  );
  assert.equal((await fileLines(`${root}/data/observer/p.jsonl`)).length, 5);
});

Deno.test("the summary names records not written and why", () => {
  const line = formatSummary({
    rejected: 0,
    interrupted: true,
    observer: { received: 3, dispatched: 3, blockedByGuard: 0, blockedByValidation: 0, ignored: 0 },
    sink: {
      path: "/x.jsonl",
      written: 1,
      dropped: 0,
      failed: 2,
      queued: 0,
      failure: "ENOSPC: full",
    },
  });
  assert.equal(
    line,
    'summary: written=1 blocked=0 rejected=0 dropped=0 not_written=2 not_written_reason="ENOSPC: full" interrupted=true file=/x.jsonl',
  );
});
