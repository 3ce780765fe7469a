import assert from "node:assert/strict";
import { buildSnapshot } from "../../src/contract/snapshot.ts";
import { readEvents, startService } from "../helpers/service.ts";
import { copyProject } from "../helpers/project.ts";

/** A market snapshot about `symbol`. */
function snapshotAbout(symbol: string, i: number): string {
  return JSON.stringify(buildSnapshot({
    session_id: "hostile",
    mode: "DEV",
    source: "market",
    stage: "raw",
    symbol,
    timestamp_ms: 1769396400000 + i,
    run_id: `h${i}`,
    inputs: { price: 1 },
  }));
}

Deno.test("serve: a stream filter crafted to backtrack cannot stall the service (/healthz answers while it runs on a long symbol)", async () => {
  const root = await copyProject();
  const service = await startService(root);
  try {
    // With a backtracking regex this glob took 25 s on a 110-character symbol, and doubles with
    // every further `*a`; matching is now linear in the text for each pattern character.
    const glob = "*a".repeat(12) + "*c";
    const stream = await fetch(`${service.base}/v1/stream?symbol=${encodeURIComponent(glob)}`);
    assert.equal(stream.status, 200);
    const hostile = `${snapshotAbout("a".repeat(120), 1)}\n`;
    const matching = `${snapshotAbout("a".repeat(12) + "c", 2)}\n`;
    const posted = await fetch(`${service.base}/v1/snapshots`, {
      method: "POST",
      body: hostile + matching,
    });
    assert.equal(posted.status, 200, await posted.text());
    let slowest = 0;
    for (let i = 0; i < 10; i++) {
      const started = performance.now();
      const health = await fetch(`${service.base}/healthz`, {
        signal: AbortSignal.timeout(30_000),
      });
      await health.body?.cancel();
      assert.equal(health.status, 200);
      slowest = Math.max(slowest, performance.now() - started);
    }
    // The subscriber got past the hostile record: only the matching one came.
    const events = await readEvents(stream.body!, 1);
    assert.deepEqual(events.map((e) => JSON.parse(e.data).snapshot.meta.run_id), ["h2"]);
    console.log(`slowest /healthz while the filter ran: ${slowest.toFixed(1)} ms`);
    // Generous for a busy machine; the backtracking regex needed seconds to hours here.
    assert.ok(slowest < 2_000, `slowest /healthz took ${slowest.toFixed(0)} ms`);
  } finally {
    await service.stop();
  }
});

Deno.test("serve: a stream filter with a glob longer than 128 characters is refused with 400 saying what was expected", async () => {
  const root = await copyProject();
  const service = await startService(root);
  try {
    const long = await fetch(`${service.base}/v1/stream?symbol=${"*a".repeat(65)}`);
    assert.equal(long.status, 400);
    assert.match(await long.text(), /symbol.*at most 128 characters/);
    const many = new URLSearchParams();
    for (let i = 0; i < 9; i++) many.append(i % 2 === 0 ? "symbol" : "market", "?".repeat(120));
    const total = await fetch(`${service.base}/v1/stream?${many}`);
    assert.equal(total.status, 400);
    assert.match(await total.text(), /at most 1024 characters in all/);
  } finally {
    await service.stop();
  }
});
