import assert from "node:assert/strict";
import { buildPatternRecord, DEFAULT_RECORD_STAMP } from "../../src/contract/pattern_record.ts";
import { RecordStreamHub } from "../../src/server/record_stream_hub.ts";
import { compileFilter } from "../../src/sinks/record_filter.ts";
import { StreamHeartbeat } from "../../src/server/stream_heartbeat.ts";
import { FakeTimers } from "../helpers/fake_timers.ts";
import { syntheticSnapshot } from "../helpers/snapshot_file.ts";

const record = (i: number) => {
  const s = syntheticSnapshot(i);
  return buildPatternRecord(s, DEFAULT_RECORD_STAMP, s.meta.timestamp);
};

Deno.test("stream hub: a subscriber that does not read is disconnected at its bound, the others go on", async () => {
  const hub = new RecordStreamHub({ subscriberBytes: 20_000, ringRecords: 5, run: "R" });
  const stalled = hub.subscribe(() => true, undefined); // never read
  const reading = hub.subscribe(() => true, undefined).pipeThrough(new TextDecoderStream());
  const reader = reading.getReader();
  let text = "";
  for (let i = 0; i < 100; i++) {
    hub.write(record(i));
    text += (await reader.read()).value;
  }
  while (!text.includes("id: R-100\n")) text += (await reader.read()).value;
  const stats = hub.streamStats();
  assert.deepEqual([stats.subscribers, stats.slowDisconnects], [1, 1]);
  assert.ok(
    stats.events > 100 && stats.events < 150,
    `the stalled one got some first: ${stats.events}`,
  );
  assert.ok(text.includes("id: R-100\nevent: record\n"), "the reading subscriber got everything");
  const rest = await new Response(stalled).text();
  assert.match(rest, /event: slow\ndata: \{\}\n\n$/, "the stalled one is told why, then closed");
  // Resuming from before the ring's start says what is gone.
  const late = hub.subscribe(() => true, "R-10").pipeThrough(new TextDecoderStream()).getReader();
  let resumed = "";
  while (!resumed.includes("id: R-100\n")) resumed += (await late.read()).value;
  assert.match(resumed, /event: gap\ndata: \{"from":"R-11","to":"R-95"\}/);
  assert.deepEqual([...resumed.matchAll(/id: R-(\d+)/g)].map((m) => m[1]), [
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

Deno.test("stream hub: an idle subscriber gets a `: ping` comment at the heartbeat interval", async () => {
  const timers = new FakeTimers();
  const hub = new RecordStreamHub({ heartbeatMs: 30, run: "R" }, timers);
  assert.equal(timers.pending, 0, "no heartbeat without subscribers");
  const reader = hub.subscribe(() => true, undefined).pipeThrough(new TextDecoderStream())
    .getReader();
  assert.equal(timers.pending, 1, "the heartbeat starts with the first subscriber");
  timers.advance(29);
  hub.write(record(1)); // a marker: what was sent before it is all there is so far
  let text = "";
  while (!text.includes("id: R-1\n")) text += (await reader.read()).value;
  assert.doesNotMatch(text, /: ping/, "not before the interval");
  timers.advance(1);
  while (!text.includes(": ping\n\n")) text += (await reader.read()).value;
  assert.match(text, /event: record\n[^]*\n\n: ping\n\n$/, "a comment, not an event");
  assert.equal(timers.pending, 1, "due again an interval later");
  await reader.cancel();
  assert.equal(hub.streamStats().subscribers, 0);
  assert.equal(timers.pending, 0, "stopped with the last subscriber");
  await hub.close();
});

Deno.test("stream heartbeat: runs only while there are subscribers, and skips one whose queue is full", () => {
  const got: string[] = [];
  const make = (name: string, room: number) =>
    ({
      desiredSize: room,
      enqueue: (chunk: Uint8Array) => got.push(`${name} ${new TextDecoder().decode(chunk)}`),
    }) as unknown as ReadableStreamDefaultController<Uint8Array>;
  const subscribers = [make("reading", 100), make("full", 0)];
  const timers = new FakeTimers();
  const heartbeat = new StreamHeartbeat(20, () => subscribers, timers);
  heartbeat.update(2);
  assert.ok(heartbeat.running);
  timers.advance(19);
  assert.equal(got.length, 0, "not before the interval");
  timers.advance(1);
  assert.equal(got.length, 1, "one at the interval");
  timers.advance(40);
  assert.equal(got.length, 3, "one at each interval");
  heartbeat.update(2); // more subscribers: the same heartbeat, not a second one
  assert.equal(timers.pending, 1);
  heartbeat.update(0);
  assert.ok(!heartbeat.running, "stopped with the last subscriber");
  assert.equal(timers.pending, 0, "its timer cleared");
  timers.advance(100);
  assert.equal(got.length, 3, "nothing after it stopped");
  assert.ok(got.every((g) => g === "reading : ping\n\n"), "only to the one with room");
  heartbeat.update(1); // a subscriber again: it starts over, a full interval away
  timers.advance(19);
  assert.equal(got.length, 3);
  timers.advance(1);
  assert.equal(got.length, 4);
  heartbeat.stop();
  assert.equal(timers.pending, 0);
});

Deno.test("stream hub: a chunk recorded in parallel reaches subscribers in input order, blocked records where they came; with nobody subscribed, a resume across it gets a gap", async () => {
  const hub = new RecordStreamHub({ run: "R" });
  const lines = [0, 1, 2].map((i) => JSON.stringify(record(i)));
  const encoded = new TextEncoder().encode(lines.map((l) => l + "\n").join(""));
  const blockedRecord = (i: number) => JSON.stringify({ ...record(i), blocked: true });
  const chunk = {
    encoded,
    records: 3,
    // Before the first record, between the second and the third, and after the last.
    blocked: [
      { recordsBefore: 0, record: blockedRecord(10) },
      { recordsBefore: 2, record: blockedRecord(11) },
      { recordsBefore: 3, record: blockedRecord(12) },
    ],
  };
  const stream = hub.subscribe(() => true, undefined).pipeThrough(new TextDecoderStream());
  const reader = stream.getReader();
  // A filter on a field parses the line; one on the guard action alone reads only the action.
  const samsung = hub.subscribe(compileFilter({ symbol: "005930" }), undefined);
  const blockedOnly = hub.subscribe(() => assert.fail("not called"), undefined, ["BLOCK"]);
  hub.writeChunk(chunk);
  let text = "";
  while (!text.includes("id: R-6\n")) text += (await reader.read()).value;
  const data = [...text.matchAll(/id: R-(\d+)\nevent: record\ndata: (.*)\n/g)];
  assert.deepEqual(data.map((m) => m[1]), ["1", "2", "3", "4", "5", "6"]);
  assert.deepEqual(data.map((m) => m[2]), [
    blockedRecord(10),
    lines[0],
    lines[1],
    blockedRecord(11),
    lines[2],
    blockedRecord(12),
  ], "each event's data is the line exactly");
  await reader.cancel();
  const idsOf = async (stream: ReadableStream<Uint8Array>, last: string) => {
    const r = stream.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes(`id: R-${last}\n`)) text += (await r.read()).value;
    await r.cancel();
    return [...text.matchAll(/id: R-(\d+)/g)].map((m) => m[1]);
  };
  // Of symbol 005930: record(0), the first line (id 2), and record(12), blocked last (id 6).
  assert.deepEqual(await idsOf(samsung, "6"), ["2", "6"]);
  assert.deepEqual(await idsOf(blockedOnly, "6"), ["1", "4", "6"]);
  assert.equal(hub.hasSubscribers, false);

  // Nobody listens: the chunk is not kept (ids 7–12 pass by), and a resume from 6 says so.
  hub.writeChunk(chunk);
  hub.write(record(20));
  const late = hub.subscribe(() => true, "R-6").pipeThrough(new TextDecoderStream()).getReader();
  let resumed = "";
  while (!resumed.includes("id: R-13\n")) resumed += (await late.read()).value;
  assert.match(resumed, /event: gap\ndata: \{"from":"R-7","to":"R-12"\}/);
  assert.deepEqual([...resumed.matchAll(/id: R-(\d+)/g)].map((m) => m[1]), ["13"]);
  await late.cancel();
  await hub.close();
});

Deno.test("stream hub: a resume that overflows the subscriber's bound while catching up lets it go (event: slow) and is not sent more; later records reach the others", async () => {
  const event = (i: number) =>
    new TextEncoder().encode(`id: R-${i}\nevent: record\ndata: ${JSON.stringify(record(i))}\n\n`);
  const head = new TextEncoder().encode(`retry: 1000\n: qts-observer stream\n\n`).length;
  // Room for the head and two events: the third of the ring overflows it.
  const hub = new RecordStreamHub({
    subscriberBytes: head + event(1).length + event(2).length,
    run: "R",
  });
  for (let i = 1; i <= 3; i++) hub.write(record(i));
  const resumed = hub.subscribe(() => true, "R-0");
  assert.deepEqual(
    [hub.streamStats().subscribers, hub.streamStats().slowDisconnects],
    [0, 1],
    "let go of, not added",
  );
  const other = hub.subscribe(() => true, undefined).pipeThrough(new TextDecoderStream());
  const reader = other.getReader();
  hub.write(record(4)); // would throw if the closed subscriber had been added
  hub.writeChunk({
    encoded: new TextEncoder().encode(JSON.stringify(record(5)) + "\n"),
    records: 1,
    blocked: [],
  });
  let text = "";
  while (!text.includes("id: R-5\n")) text += (await reader.read()).value;
  assert.deepEqual([...text.matchAll(/id: R-(\d+)/g)].map((m) => m[1]), ["4", "5"]);
  assert.match(await new Response(resumed).text(), /event: slow\ndata: \{\}\n\n$/);
  await reader.cancel();
  await hub.close();
});

Deno.test("stream hub: event ids name the run (<run>-<seq>); a Last-Event-ID of another run (before a restart) gets an event: gap saying so, then the records in memory, then live ones; not a silent skip", async () => {
  const before = new RecordStreamHub({ run: "old" });
  const first = before.subscribe(() => true, undefined).pipeThrough(new TextDecoderStream())
    .getReader();
  for (let i = 1; i <= 8; i++) before.write(record(i));
  let seen = "";
  while (!seen.includes("id: old-8\n")) seen += (await first.read()).value;
  await first.cancel();
  await before.close();

  // The service restarted: a new hub, with 3 records so far, none of them seen by the client.
  const after = new RecordStreamHub({ run: "new" });
  for (let i = 101; i <= 103; i++) after.write(record(i));
  const resumed = after.subscribe(() => true, "old-8").pipeThrough(new TextDecoderStream())
    .getReader();
  after.write(record(104));
  let text = "";
  while (!text.includes("id: new-4\n")) text += (await resumed.read()).value;
  const gap = /event: gap\ndata: (.*)\n/.exec(text);
  assert.ok(gap !== null, `an event: gap, got ${JSON.stringify(text.slice(0, 200))}`);
  assert.equal(JSON.parse(gap[1]).after, "old-8");
  assert.match(JSON.parse(gap[1]).reason, /not of this run/);
  assert.ok(text.indexOf("event: gap") < text.indexOf("id: new-1\n"), "the gap comes first");
  assert.deepEqual([...text.matchAll(/id: (\S+)\n/g)].map((m) => m[1]), [
    "new-1",
    "new-2",
    "new-3",
    "new-4",
  ]);
  // A plain number (an id of the old kind) is not of this run either.
  const plain = after.subscribe(() => true, "8").pipeThrough(new TextDecoderStream()).getReader();
  let plainText = "";
  while (!plainText.includes("id: new-4\n")) plainText += (await plain.read()).value;
  assert.match(plainText, /event: gap/);
  await resumed.cancel();
  await plain.cancel();
  await after.close();
  assert.notEqual(new RecordStreamHub().run, new RecordStreamHub().run, "random by default");
});
