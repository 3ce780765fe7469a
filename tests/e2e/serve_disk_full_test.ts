/**
 * The service on a full disk (a tmpfs under data/observer; root only): a request whose records a
 * failing sink could not keep is answered 503, never 200, so a client that sends again on 503
 * loses nothing; every record of a request answered 200 is in the file once space is back.
 */
import assert from "node:assert/strict";
import { copyProject, fileLines, observerDir } from "../helpers/project.ts";
import { startService } from "../helpers/service.ts";
import { snapshotLine } from "../helpers/snapshot_file.ts";
import { canMountTmpfs, fill, mountTmpfs, unmount } from "../helpers/tmpfs.ts";
import { join } from "node:path";

const canMount = await canMountTmpfs();
if (!canMount) console.log("skipped: the service disk-full test needs to mount a tmpfs (root)");

for (const workers of ["1", "2"]) {
  Deno.test({
    name: `serve --workers ${workers} on a full disk: a request with records the failing sink ` +
      "let go of gets 503; every record of a request answered 200 is in the file afterwards",
    ignore: !canMount,
    async fn() {
      const root = await copyProject();
      const dir = observerDir(root);
      await Deno.mkdir(dir, { recursive: true });
      await mountTmpfs(dir, "16m");
      try {
        const service = await startService(root, ["--workers", workers]);
        const filler = await fill(dir);
        const answered = new Map<number, number>(); // request → status
        let next = 0;
        const perRequest = 500;
        // The sink fails; its 4 MiB queue takes about 3,000 records, then it lets them go.
        for (let request = 0; request < 16; request++) {
          let body = "";
          for (let i = 0; i < perRequest; i++) body += snapshotLine(next++) + "\n";
          const response = await fetch(`${service.base}/v1/snapshots`, { method: "POST", body });
          const answer = await response.json();
          answered.set(request, response.status);
          if (response.status === 503) assert.match(answer.error ?? "", /let go of|full/);
        }
        await Deno.remove(filler);
        const stopped = await service.stop();
        assert.ok([...answered.values()].includes(503), `some refused: ${[...answered]}`);
        assert.ok([...answered.values()].includes(200), `some taken: ${[...answered]}`);
        const ids = new Set(
          (await fileLines(join(dir, "observer.jsonl")))
            .map((l) => Number(JSON.parse(l).snapshot.meta.run_id.slice(1))),
        );
        for (const [request, status] of answered) {
          if (status !== 200) continue;
          for (let i = request * perRequest; i < (request + 1) * perRequest; i++) {
            assert.ok(ids.has(i), `r${i} of request ${request} (answered 200) is in the file`);
          }
        }
        assert.match(stopped.stdout, /^summary: /m, stopped.stderr.slice(-2000));
      } finally {
        await unmount(dir);
      }
    },
  });
}
