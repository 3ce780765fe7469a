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
    "disk full: records are kept and retried at the next flush; once space is freed every line lands whole",
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
      for (let i = 0; i < 100; i++) {
        const wait = sink.write(record(i));
        if (wait !== undefined) await wait; // never blocks for long: a failing sink drops instead
        if (i % 20 === 0) await new Promise((r) => setTimeout(r, 10));
      }
      const failing = sink.stats();
      assert.match(failing.failure ?? "", /No space left|ENOSPC/);
      assert.ok(failing.failed > 0, "records that did not fit while failing are counted");
      assert.ok(failing.queued > 0, "queued records are kept for the retry");
      const errors = logs.records.filter((r) => r.level === "error");
      assert.equal(errors.length, 1, "one error for the episode");
      await Deno.remove(filler);
      for (let i = 0; i < 100 && sink.stats().queued > 0; i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.equal(sink.stats().queued, 0, "the retry wrote the queue once space was back");
      assert.ok(logs.messages().some((m) => m.includes("succeeded again")));
      for (let i = 100; i < 110; i++) sink.write(record(i));
      await sink.close();
      const stats = sink.stats();
      assert.equal(stats.written + stats.failed, 110, "every record is written or counted");
      const lines = await fileLines(join(dir, "observer.jsonl"));
      assert.equal(lines.length, stats.written);
      const ids = lines.map((l) => Number(JSON.parse(l).snapshot.meta.run_id.slice(4)));
      assert.deepEqual(ids, [...ids].sort((a, b) => a - b), "in order");
      assert.deepEqual(ids.slice(-10), [100, 101, 102, 103, 104, 105, 106, 107, 108, 109]);
    } finally {
      await unmount(dir);
    }
  },
});
