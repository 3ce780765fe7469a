import assert from "node:assert/strict";
import { join } from "node:path";
import { buildPatternRecord, DEFAULT_RECORD_STAMP } from "../../src/contract/pattern_record.ts";
import { getObserverLogger } from "../../src/log/logging.ts";
import { enrichRecord } from "../../src/observer/enrich.ts";
import { JsonlFileSink } from "../../src/sinks/jsonl_file_sink.ts";
import { captureLogs } from "../helpers/logs.ts";
import { fileLines } from "../helpers/project.ts";
import { marketSnapshot } from "../helpers/snapshots.ts";
import { tempDir } from "../helpers/temp.ts";
import { canMountTmpfs, fill, mountTmpfs, unmount } from "../helpers/tmpfs.ts";

const record = (i: number) =>
  enrichRecord(
    buildPatternRecord(marketSnapshot(i), DEFAULT_RECORD_STAMP, "2026-01-01T00:00:00.000Z"),
    DEFAULT_RECORD_STAMP,
  );

// A real full disk: a 512 KiB tmpfs mounted on data/observer (root only; elsewhere the test
// says why it did not run).
const canMount = await canMountTmpfs();
if (!canMount) console.log("skipped: the disk-full recovery test needs to mount a tmpfs (root)");

Deno.test({
  name:
    "disk full under block: the producer waits, records are kept and retried; once space is freed every record lands whole and in order, none given up",
  ignore: !canMount,
  async fn() {
    await using logs = await captureLogs();
    const root = await tempDir();
    const dir = join(root, "data", "observer");
    await Deno.mkdir(dir, { recursive: true });
    await mountTmpfs(dir, "512k");
    try {
      const sink = await JsonlFileSink.open({
        root,
        logger: getObserverLogger("sink"),
        fsync: "none",
        flushIntervalMs: 5,
        maxQueueBytes: 64 * 1024,
      });
      const filler = await fill(dir);
      // Under `block` (the default) a failing sink makes the producer wait once its queue is
      // full: nothing is given up on for that reason alone.
      let pushed = 0;
      const producer = (async () => {
        for (let i = 0; i < 300; i++) {
          await sink.write(record(i));
          pushed++;
        }
      })();
      for (let i = 0; i < 1000 && !(sink.stats().failing && pushed < 300); i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      const failing = sink.stats();
      assert.match(failing.failure ?? "", /No space left|ENOSPC/);
      assert.equal(failing.failed, 0, "nothing given up on while the producer waits");
      assert.ok(failing.queued > 0, "queued records are kept for the retry");
      const waitedAt = pushed;
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(pushed, waitedAt, "the producer waits while the disk is full");
      const errors = logs.records.filter((r) => r.level === "error");
      assert.equal(errors.length, 1, "one error for the episode");
      await Deno.remove(filler);
      await producer;
      assert.ok(logs.messages().some((m) => m.includes("succeeded again")));
      await sink.close();
      const stats = sink.stats();
      assert.deepEqual([stats.written, stats.failed, stats.dropped], [300, 0, 0]);
      const lines = await fileLines(join(dir, "observer.jsonl"));
      const ids = lines.map((l) => Number(JSON.parse(l).snapshot.meta.run_id.slice(4)));
      assert.deepEqual(ids, Array.from({ length: 300 }, (_, i) => i), "every record, in order");
    } finally {
      await unmount(dir);
    }
  },
});
