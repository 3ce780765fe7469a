import assert from "node:assert/strict";
import { readEvents, startService } from "../helpers/service.ts";
import { copyProject } from "../helpers/project.ts";
import { snapshotLine } from "../helpers/snapshot_file.ts";

async function post(base: string, from: number, count: number): Promise<void> {
  let body = "";
  for (let i = from; i < from + count; i++) body += snapshotLine(i) + "\n";
  const response = await fetch(`${base}/v1/snapshots`, { method: "POST", body });
  assert.equal(response.status, 200, await response.text());
}

const runIds = (events: { data: string }[]) =>
  events.map((e) => JSON.parse(e.data).snapshot.meta.run_id as string);

/** The run ids of `symbol`'s snapshots among snapshot indices [from, to). */
function expected(symbol: string, from: number, to: number): string[] {
  const ids: string[] = [];
  for (let i = from; i < to; i++) {
    const s = JSON.parse(snapshotLine(i));
    if (s.context.symbol === symbol) ids.push(s.meta.run_id);
  }
  return ids;
}

Deno.test("serve: /v1/stream resumes from the record file — across a restart of the service — and a reader that stops reading falls behind and catches up from the file, missing nothing", async () => {
  const root = await copyProject();
  let service = await startService(root);
  try {
    // Events are lines of the file: the id names the file and the offset after the line.
    const first = await fetch(`${service.base}/v1/stream?symbol=005930`);
    await post(service.base, 0, 12);
    const seen = await readEvents(first.body!, 1);
    assert.deepEqual(runIds(seen), ["r0"]);
    assert.match(seen[0].id!, /^[0-9a-z]+:\d+$/);
    await service.stop();

    // A new process on the same file; the client comes back with the id it last saw.
    service = await startService(root);
    await post(service.base, 12, 12);
    const resumed = await fetch(`${service.base}/v1/stream?symbol=005930`, {
      headers: { "last-event-id": seen[0].id! },
    });
    const want = expected("005930", 1, 24);
    const missed = await readEvents(resumed.body!, want.length);
    assert.deepEqual(runIds(missed), want, "everything after r0, from both runs, in order");

    // A subscriber that does not read while ~6 MB are written is not cut off and not buffered:
    // it falls behind, then reads the file on its own until it has caught up.
    const lagging = await fetch(`${service.base}/v1/stream`);
    for (let from = 1000; from < 5000; from += 1000) await post(service.base, from, 1000);
    const all = await readEvents(lagging.body!, 4000, "record", 30_000);
    const ids = runIds(all);
    assert.equal(ids.length, 4000);
    assert.deepEqual(ids, Array.from({ length: 4000 }, (_, i) => `r${1000 + i}`));
    const status = await (await fetch(`${service.base}/v1/status`)).json();
    assert.equal(status.stream.slowDisconnects, 0);

    // An id that names no place in a file of this run: a gap event, then live records.
    const stranger = await fetch(`${service.base}/v1/stream?symbol=000660`, {
      headers: { "last-event-id": "zzzz:12" },
    });
    const gap = await readEvents(stranger.body!, 1, "gap");
    assert.match(gap[0].data, /names no place in a record file/);
  } finally {
    await service.stop();
  }
});

Deno.test("serve: /v1/stream follows the record file through rotation; a reader behind reads the rotated files in order", async () => {
  const root = await copyProject();
  const service = await startService(root, ["--rotate-bytes", "200000"]);
  try {
    const live = await fetch(`${service.base}/v1/stream?symbol=000660`);
    const behind = await fetch(`${service.base}/v1/stream`); // not read until the end
    for (let from = 0; from < 1200; from += 100) await post(service.base, from, 100);
    const want = expected("000660", 0, 1200);
    assert.deepEqual(runIds(await readEvents(live.body!, want.length)), want);
    const all = runIds(await readEvents(behind.body!, 1200, "record", 30_000));
    assert.deepEqual(all, Array.from({ length: 1200 }, (_, i) => `r${i}`));
    // (the records were streamed from the files, so they are written by now)
    const files = [...Deno.readDirSync(`${root}/data/observer`)]
      .filter((e) =>
        e.name.startsWith("observer_") && e.name.endsWith(".jsonl") &&
        !e.name.endsWith(".rejected.jsonl")
      );
    assert.ok(files.length >= 4, `the file rotated: ${files.map((f) => f.name)}`);
  } finally {
    await service.stop();
  }
});

Deno.test("serve: /v1/stream resumes across a record longer than one read of the file, and refuses an id that names no line end", async () => {
  const root = await copyProject();
  const service = await startService(root);
  try {
    const first = await fetch(`${service.base}/v1/stream`);
    const big = JSON.parse(snapshotLine(1));
    big.observation.state.note = "x".repeat(300_000);
    const body = [snapshotLine(0), JSON.stringify(big), snapshotLine(2)].join("\n") + "\n";
    const answer = await fetch(`${service.base}/v1/snapshots`, { method: "POST", body });
    assert.equal(answer.status, 200, await answer.text());
    const seen = await readEvents(first.body!, 1);
    assert.deepEqual(runIds(seen), ["r0"]);
    const resumed = await fetch(`${service.base}/v1/stream`, {
      headers: { "last-event-id": seen[0].id! },
    });
    const rest = await readEvents(resumed.body!, 2);
    assert.deepEqual(runIds(rest), ["r1", "r2"]);
    assert.equal(JSON.parse(rest[0].data).snapshot.observation.state.note.length, 300_000);

    const [key, offset] = seen[0].id!.split(":");
    const inside = await fetch(`${service.base}/v1/stream`, {
      headers: { "last-event-id": `${key}:${Number(offset) + 5}` },
    });
    const gap = await readEvents(inside.body!, 1, "gap");
    assert.match(gap[0].data, /names no line end/);
  } finally {
    await service.stop();
  }
});
