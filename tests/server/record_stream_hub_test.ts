import assert from "node:assert/strict";
import { buildPatternRecord, DEFAULT_RECORD_STAMP } from "../../src/contract/pattern_record.ts";
import { RecordStreamHub } from "../../src/server/record_stream_hub.ts";
import { syntheticSnapshot } from "../helpers/snapshot_file.ts";

const record = (i: number) => {
  const s = syntheticSnapshot(i);
  return buildPatternRecord(s, DEFAULT_RECORD_STAMP, s.meta.timestamp);
};

Deno.test("stream hub: a subscriber that does not read is disconnected at its bound, the others go on", async () => {
  const hub = new RecordStreamHub({ subscriberBytes: 20_000, ringRecords: 5 });
  const stalled = hub.subscribe(() => true, undefined); // never read
  const reading = hub.subscribe(() => true, undefined).pipeThrough(new TextDecoderStream());
  const reader = reading.getReader();
  let text = "";
  for (let i = 0; i < 100; i++) {
    hub.write(record(i));
    text += (await reader.read()).value;
  }
  while (!text.includes("id: 100\n")) text += (await reader.read()).value;
  const stats = hub.streamStats();
  assert.deepEqual([stats.subscribers, stats.slowDisconnects], [1, 1]);
  assert.ok(
    stats.events > 100 && stats.events < 150,
    `the stalled one got some first: ${stats.events}`,
  );
  assert.ok(text.includes("id: 100\nevent: record\n"), "the reading subscriber got everything");
  const rest = await new Response(stalled).text();
  assert.match(rest, /event: slow\ndata: \{\}\n\n$/, "the stalled one is told why, then closed");
  // Resuming from before the ring's start says what is gone.
  const late = hub.subscribe(() => true, 10).pipeThrough(new TextDecoderStream()).getReader();
  let resumed = "";
  while (!resumed.includes("id: 100\n")) resumed += (await late.read()).value;
  assert.match(resumed, /event: gap\ndata: \{"from":11,"to":95\}/);
  assert.deepEqual([...resumed.matchAll(/id: (\d+)/g)].map((m) => m[1]), [
    "96",
    "97",
    "98",
    "99",
    "100",
  ]);
  await reader.cancel();
  await late.cancel();
  await hub.close();
});
