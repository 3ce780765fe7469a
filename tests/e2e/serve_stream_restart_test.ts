import assert from "node:assert/strict";
import { copyProject } from "../helpers/project.ts";
import { readEvents, startService } from "../helpers/service.ts";
import { snapshotLine } from "../helpers/snapshot_file.ts";

async function post(base: string, from: number, to: number): Promise<void> {
  let body = "";
  for (let i = from; i < to; i++) body += snapshotLine(i) + "\n";
  const r = await fetch(`${base}/v1/snapshots`, { method: "POST", body });
  assert.equal(r.status, 200);
  await r.body?.cancel();
}

Deno.test("serve: a stream from memory (guard=BLOCK) resumed with a Last-Event-ID from before a restart gets an event: gap, not a silent skip of the records it missed", async () => {
  const root = await copyProject();
  const query = "/v1/stream?guard=PASS&guard=BLOCK";
  const first = await startService(root, ["--workers", "1"]);
  let lastId: string;
  try {
    const stream = await fetch(`${first.base}${query}`);
    await new Promise((r) => setTimeout(r, 100));
    await post(first.base, 0, 2);
    const events = await readEvents(stream.body!, 2);
    assert.equal(events.length, 2);
    lastId = events[1].id!;
    await post(first.base, 2, 5); // missed by the client: the service stops before it reconnects
  } finally {
    assert.equal((await first.stop()).code, 0);
  }
  const second = await startService(root, ["--workers", "1"]);
  try {
    await post(second.base, 5, 10);
    const resumed = await fetch(`${second.base}${query}`, { headers: { "last-event-id": lastId } });
    const events = await readEvents(resumed.body!, 1, "gap");
    assert.equal(
      events.filter((e) => e.event === "gap").length,
      1,
      `an event: gap, got ${JSON.stringify(events)}`,
    );
  } finally {
    assert.equal((await second.stop()).code, 0);
  }
});
