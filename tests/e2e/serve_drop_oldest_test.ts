/**
 * The service with a queue that drops its oldest records when full, and `ack=durable`: a record
 * dropped while its request waited for the flush (by records of other requests) means the
 * request is answered 503, never 200; every record of a request answered 200 is in the file.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { copyProject, fileLines, observerDir } from "../helpers/project.ts";
import { startService } from "../helpers/service.ts";
import { snapshotLine } from "../helpers/snapshot_file.ts";

Deno.test("serve --when-full drop_oldest with ack=durable: every record of a request answered 200 is in the file, however many concurrent requests dropped", async () => {
  const root = await copyProject();
  const service = await startService(root, [
    "--workers",
    "1",
    "--when-full",
    "drop_oldest",
    "--queue-bytes",
    "65536",
    "--fsync",
    "always",
  ]);
  const perRequest = 200;
  const requests = 24;
  const statuses: number[] = [];
  try {
    // Eight at a time: while one request waits for its flush, the others' records fill the
    // small queue and push older records out.
    for (let round = 0; round < requests / 8; round++) {
      await Promise.all(Array.from({ length: 8 }, async (_, k) => {
        const request = round * 8 + k;
        let body = "";
        for (let i = 0; i < perRequest; i++) body += snapshotLine(request * perRequest + i) + "\n";
        const response = await fetch(`${service.base}/v1/snapshots?ack=durable`, {
          method: "POST",
          body,
        });
        await response.body?.cancel();
        statuses[request] = response.status;
      }));
    }
  } finally {
    await service.stop();
  }
  assert.ok(statuses.includes(503), `some requests lost records to the drops: ${statuses}`);
  const ids = new Set(
    (await fileLines(join(observerDir(root), "observer.jsonl")))
      .map((l) => Number(JSON.parse(l).snapshot.meta.run_id.slice(1))),
  );
  for (let request = 0; request < requests; request++) {
    if (statuses[request] !== 200) continue;
    for (let i = request * perRequest; i < (request + 1) * perRequest; i++) {
      assert.ok(ids.has(i), `r${i} of request ${request} (answered 200) is in the file`);
    }
  }
});
