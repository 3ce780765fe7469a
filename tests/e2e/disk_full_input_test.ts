/**
 * A full disk under the log while a file is recorded (a tmpfs under data/observer; root only):
 * under `block` the run waits for the disk instead of giving records up, and once space is back
 * every snapshot is in the file and the run exits 0.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  copyProject,
  observerDir,
  parseSummaryLine,
  spawnScript,
  waitForFileSize,
} from "../helpers/project.ts";
import { snapshotLine } from "../helpers/snapshot_file.ts";
import { canMountTmpfs, fill, mountTmpfs, unmount } from "../helpers/tmpfs.ts";

const canMount = await canMountTmpfs();
if (!canMount) console.log("skipped: the file-input disk-full test needs to mount a tmpfs (root)");

Deno.test({
  name: "snapshots recorded onto a disk that fills: the run waits (nothing given up on) and, " +
    "once space is back, every snapshot is in the file, in order; exit 0",
  ignore: !canMount,
  async fn() {
    const root = await copyProject();
    const dir = observerDir(root);
    await mountTmpfs(dir, "32m");
    try {
      const child = await spawnScript(root, {
        task: "observer",
        script: "observer.ts",
        args: [],
        stdin: "",
      });
      const stdoutText = new Response(child.stdout).text();
      const writer = child.stdin.getWriter();
      const encoder = new TextEncoder();
      const lines = (from: number, to: number) => {
        let text = "";
        for (let i = from; i < to; i++) text += snapshotLine(i) + "\n";
        return encoder.encode(text);
      };
      // Some records land, then the disk fills while the rest is being sent (the producer's
      // pipe is held up when the run waits: that is the backpressure).
      await writer.write(lines(0, 1000));
      await waitForFileSize(join(dir, "observer.jsonl"), 1);
      const filler = await fill(dir);
      const sending = (async () => {
        for (let from = 1000; from < 10_000; from += 1000) {
          await writer.write(lines(from, from + 1000));
        }
        await writer.close();
      })();
      const stderr = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
      let log = "";
      while (!/No space left|ENOSPC/.test(log)) {
        const { value, done } = await stderr.read();
        if (done) throw new Error(`the run ended before the disk filled: ${log}`);
        log += value;
      }
      await Deno.remove(filler);
      await sending;
      const drained = (async () => {
        for (let r = await stderr.read(); !r.done; r = await stderr.read()) log += r.value;
      })();
      const status = await child.status;
      await drained;
      const stdout = await stdoutText;
      assert.equal(status.code, 0, log.slice(-3000));
      const summary = parseSummaryLine(stdout);
      assert.deepEqual([summary.written, summary.not_written, summary.dropped], [
        "10000",
        "0",
        "0",
      ]);
      const text = await Deno.readTextFile(join(dir, "observer.jsonl"));
      const ids = text.trimEnd().split("\n").map((l) => JSON.parse(l).snapshot.meta.run_id);
      assert.deepEqual(ids, Array.from({ length: 10_000 }, (_, i) => `r${i}`));
    } finally {
      await unmount(dir);
    }
  },
});
