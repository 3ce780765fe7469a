import assert from "node:assert/strict";
import { join } from "node:path";
import { EventBus } from "../../src/bus/event_bus.ts";
import { buildPatternRecord, DEFAULT_RECORD_STAMP } from "../../src/contract/pattern_record.ts";
import type { PatternRecord } from "../../src/contract/pattern_record.ts";
import { getObserverLogger } from "../../src/log/logging.ts";
import { enrichRecord } from "../../src/observer/enrich.ts";
import { JsonlFileSink, type JsonlFileSinkOptions } from "../../src/sinks/jsonl_file_sink.ts";
import type { RecordFile } from "../../src/sinks/record_file.ts";
import { captureLogs } from "../helpers/logs.ts";
import { MemorySink } from "../helpers/memory_sink.ts";
import { fileLines } from "../helpers/project.ts";
import { marketSnapshot } from "../helpers/snapshots.ts";
import { tempDir } from "../helpers/temp.ts";
import { waitFor } from "../helpers/wait.ts";

const logger = getObserverLogger("sink");
const NEVER = 3_600_000;

function record(i: number): PatternRecord {
  return enrichRecord(
    buildPatternRecord(marketSnapshot(i), DEFAULT_RECORD_STAMP, "2026-01-01T00:00:00.000Z"),
    DEFAULT_RECORD_STAMP,
  );
}

/** One record line in bytes (UTF-8, with its newline): what the queue bounds count. */
const recordBytes = new TextEncoder().encode(JSON.stringify(record(0))).length + 1;

async function tempRoot(): Promise<string> {
  return await tempDir("sink");
}

function open(root: string, options: Partial<JsonlFileSinkOptions> = {}) {
  return JsonlFileSink.open({ root, logger, fsync: "none", ...options });
}

async function runIds(path: string): Promise<string[]> {
  return (await fileLines(path)).map((l) => JSON.parse(l).snapshot.meta.run_id);
}

const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));

Deno.test("records land one per line in <root>/data/observer, UTF-8 kept, appended across opens", async () => {
  await using logs = await captureLogs();
  const root = await tempRoot();
  const sink = await open(root, { fileName: "s.jsonl" });
  const path = join(root, "data", "observer", "s.jsonl");
  assert.equal(sink.path, path);
  for (let i = 0; i < 3; i++) await sink.write(record(i));
  await sink.close();
  const again = await open(root, { fileName: "s.jsonl" });
  await again.write(record(3));
  await again[Symbol.asyncDispose]();
  const text = await Deno.readTextFile(path);
  assert.ok(text.includes("유니코드 ✓"), "non-ASCII kept as is");
  assert.deepEqual(await runIds(path), ["run-0", "run-1", "run-2", "run-3"]);
  assert.deepEqual(JSON.parse(text.split("\n")[0]), record(0));
  const { flushSeconds, syncSeconds, ...counters } = again.stats();
  assert.equal(flushSeconds?.count, 1, "one batch write, timed");
  assert.equal(flushSeconds?.counts.reduce((a, b) => a + b), 1, "in one bucket");
  assert.equal(syncSeconds?.count, 0, "fsync none: no sync to time");
  assert.deepEqual(counters, {
    path,
    written: 1,
    dropped: 0,
    failed: 0,
    queued: 0,
    failure: undefined,
    failing: false,
    queuedBytes: 0,
    maxQueueBytes: 4194304,
  });
  const init = logs.records.filter((r) =>
    r.message.join("").startsWith("JsonlFileSink initialized")
  );
  assert.equal(init.length, 2);
  assert.equal(init[0].properties.path, path);
});

Deno.test("a bad file name is refused before anything is created", async () => {
  const root = await tempRoot();
  for (const fileName of ["../x.jsonl", "/tmp/x.jsonl", "x.txt"]) {
    await assert.rejects(open(root, { fileName }), /expected a bare file name ending in "\.jsonl"/);
  }
  assert.deepEqual([...Deno.readDirSync(root)], [], "no data/observer was created");
});

Deno.test("records are batched: nothing is written until the size threshold or a flush", async () => {
  const root = await tempRoot();
  const sink = await open(root, { flushBytes: recordBytes * 5, flushIntervalMs: NEVER });
  for (let i = 0; i < 4; i++) sink.write(record(i));
  await tick();
  assert.equal((await Deno.stat(sink.path)).size, 0, "below the threshold: still queued");
  assert.equal(sink.stats().queued, 4);
  sink.write(record(4));
  await waitFor("the batch at the threshold", async () => (await runIds(sink.path)).length > 0);
  assert.deepEqual(await runIds(sink.path), ["run-0", "run-1", "run-2", "run-3", "run-4"]);
  sink.write(record(5));
  await sink.flush();
  assert.equal((await runIds(sink.path)).length, 6, "flush() writes what is below the threshold");
  await sink.close();
});

Deno.test("encoded lines are appended whole and in order, and each buffer is released once, after its bytes are in the file", async () => {
  const root = await tempRoot();
  const sink = await open(root, { flushBytes: 64, flushIntervalMs: NEVER });
  const released: string[] = [];
  const chunks = ['{"a":1}\n{"a":2}\n', '{"b":"한글"}\n', '{"c":3}\n'.repeat(20)];
  for (const text of chunks) {
    const bytes = new TextEncoder().encode(text);
    await sink.writeEncoded({
      bytes,
      count: text.split("\n").length - 1,
      release: () => {
        assert.ok(Deno.readTextFileSync(sink.path).includes(text), "released before written");
        released.push(text);
      },
    });
  }
  await sink.close();
  assert.deepEqual(released, chunks);
  assert.equal(await Deno.readTextFile(sink.path), chunks.join(""));
  assert.equal(sink.stats().written, 23);
});

Deno.test("onBatchWritten reports each batch, in order, adding up to what was written", async () => {
  const root = await tempRoot();
  const batches: number[] = [];
  const sink = await open(root, {
    flushBytes: recordBytes * 3,
    onBatchWritten: (n) => batches.push(n),
  });
  for (let i = 0; i < 10; i++) sink.write(record(i));
  await sink.close();
  assert.ok(batches.length >= 2, `batches: ${batches}`);
  assert.equal(batches.reduce((a, b) => a + b, 0), 10);
  assert.ok(batches.every((n) => n <= 3), "a batch is about flushBytes");
});

Deno.test("the flush interval writes a partial batch on its own", async () => {
  const root = await tempRoot();
  const sink = await open(root, { flushIntervalMs: 10 });
  sink.write(record(0));
  await waitFor("the interval's write", async () => (await runIds(sink.path)).length > 0);
  assert.deepEqual(await runIds(sink.path), ["run-0"]);
  await sink.close();
});

Deno.test("block policy: a full queue makes write() awaitable and nothing is lost, in order", async () => {
  const root = await tempRoot();
  const sink = await open(root, { maxQueueBytes: recordBytes * 3, flushIntervalMs: NEVER });
  let waited = 0;
  for (let i = 0; i < 50; i++) {
    const pending = sink.write(record(i));
    if (pending !== undefined) {
      waited++;
      await pending;
    }
    assert.ok(sink.stats().queued <= 4, "the queue stays bounded");
  }
  await sink.close();
  assert.ok(waited > 0, "the producer was made to wait");
  assert.deepEqual(await runIds(sink.path), Array.from({ length: 50 }, (_, i) => `run-${i}`));
  assert.equal(sink.stats().dropped, 0);
});

Deno.test("drop_newest keeps the first records and counts the rest", async () => {
  const root = await tempRoot();
  const sink = await open(root, {
    maxQueueBytes: recordBytes * 3,
    flushIntervalMs: NEVER,
    flushBytes: recordBytes * 100,
    whenFull: "drop_newest",
  });
  for (let i = 0; i < 10; i++) assert.equal(sink.write(record(i)), undefined);
  await sink.close();
  assert.deepEqual(await runIds(sink.path), ["run-0", "run-1", "run-2"]);
  assert.equal(sink.stats().dropped, 7);
  assert.equal(sink.stats().written, 3);
});

Deno.test("drop_oldest keeps the newest records and counts the rest", async () => {
  const root = await tempRoot();
  const sink = await open(root, {
    maxQueueBytes: recordBytes * 3,
    flushIntervalMs: NEVER,
    flushBytes: recordBytes * 100,
    whenFull: "drop_oldest",
  });
  for (let i = 0; i < 10; i++) sink.write(record(i));
  await sink.close();
  assert.deepEqual(await runIds(sink.path), ["run-7", "run-8", "run-9"]);
  assert.equal(sink.stats().dropped, 7);
});

Deno.test("fsync always and interval: flush and close complete and the data is on disk", async () => {
  for (const fsync of ["always", "interval"] as const) {
    const root = await tempRoot();
    const sink = await open(root, { fsync, fsyncIntervalMs: 5 });
    for (let i = 0; i < 5; i++) sink.write(record(i));
    await sink.flush();
    assert.equal((await runIds(sink.path)).length, 5, fsync);
    await tick(20);
    await sink.close();
    assert.equal(sink.stats().written, 5);
  }
});

Deno.test("a torn last line left by a crash is moved aside and new records start on a clean line", async () => {
  await using logs = await captureLogs();
  const root = await tempRoot();
  const dir = join(root, "data", "observer");
  await Deno.mkdir(dir, { recursive: true });
  const path = join(dir, "observer.jsonl");
  const good = JSON.stringify(record(0)) + "\n";
  const torn = JSON.stringify(record(1)).slice(0, 77);
  await Deno.writeTextFile(path, good + torn);
  const sink = await open(root, { now: () => Date.UTC(2026, 0, 26, 3, 18, 20) });
  await sink.write(record(2));
  await sink.close();
  assert.deepEqual(await runIds(path), ["run-0", "run-2"]);
  const fragment = join(dir, "observer.jsonl.partial-20260126T031820Z");
  assert.equal(await Deno.readTextFile(fragment), torn);
  const warning = logs.records.find((r) => r.level === "warning");
  assert.equal(warning?.properties.fragment, fragment);
  assert.equal(warning?.properties.path, path);
});

Deno.test("ENOSPC (/dev/full) under drop_newest: one error per episode, the producer is never blocked, other sinks go on, the loss is counted", async () => {
  await using logs = await captureLogs();
  const root = await tempRoot();
  const dir = join(root, "data", "observer");
  const sink = await open(root, {
    fileName: "full.jsonl",
    openFile: () => Deno.open("/dev/full", { read: true, write: true }),
    flushBytes: recordBytes * 2,
    maxQueueBytes: recordBytes * 4,
    flushIntervalMs: 5,
    whenFull: "drop_newest",
  });
  const other = new MemorySink("other");
  const bus = new EventBus([sink, other], getObserverLogger("bus"));
  for (let i = 0; i < 40; i++) {
    const pending = bus.dispatch(record(i));
    if (pending !== undefined) await pending;
    if (i % 10 === 0) await tick(15); // let the retry timer fire a few times
  }
  assert.equal(other.records.length, 40, "the other sink got every record");
  assert.match(sink.stats().failure ?? "", /ENOSPC|No space left/);
  await bus.close();
  const stats = sink.stats();
  assert.equal(stats.written, 0);
  // How many were given up after failed writes and how many found the queue full depends on
  // when the retry timer fires; together they are every record.
  assert.equal(stats.failed + stats.dropped, 40, "every record is accounted for as not written");
  assert.ok(stats.failed > 0, "records given up after failed writes count as failed");
  const errors = logs.records.filter((r) => r.level === "error" && r.category.includes("sink"));
  const episodes = errors.filter((r) =>
    r.message.join("").startsWith("JsonlFileSink cannot write")
  );
  assert.equal(episodes.length, 1, "one error for the whole episode");
  assert.equal(episodes[0].properties.path, join(dir, "full.jsonl"));
  assert.ok(errors.some((r) => r.message.join("").startsWith("JsonlFileSink gave up on")));
});

Deno.test("write after close is refused with a clear error", async () => {
  const root = await tempRoot();
  const sink = await open(root);
  await sink.close();
  assert.throws(() => sink.write(record(0)), /is closed: expected write\(\) before close\(\)/);
  await sink.close();
});

Deno.test("bad tuning values are refused with what was expected", async () => {
  const root = await tempRoot();
  await assert.rejects(
    open(root, { flushBytes: 0 }),
    /flushBytes: expected a positive number, got 0/,
  );
  await assert.rejects(open(root, { rotation: {} }), /expected everyMinutes and\/or maxBytes/);
});

/** A real file whose writes can be made to fail part way, as a full disk does. */
class FlakyFile implements RecordFile {
  /** While set, a write puts at most this many bytes through, then the next one throws. */
  failAfter: number | undefined;
  constructor(readonly file: Deno.FsFile) {}
  async write(bytes: Uint8Array): Promise<number> {
    if (this.failAfter === undefined) return await this.file.write(bytes);
    if (this.failAfter === 0) {
      throw Object.assign(new Error("No space left on device (os error 28)"), { code: "ENOSPC" });
    }
    const n = await this.file.write(bytes.subarray(0, Math.min(bytes.length, this.failAfter)));
    this.failAfter -= n;
    return n;
  }
  syncData = () => this.file.syncData();
  truncate = (size?: number) => this.file.truncate(size);
  stat = () => this.file.stat();
  seek = (offset: number, whence: Deno.SeekMode) => this.file.seek(offset, whence);
  read = (into: Uint8Array) => this.file.read(into);
  close = () => this.file.close();
}

Deno.test("a write that fails part way is cut back to its last whole line at once, then retried: every line lands whole", async () => {
  await using logs = await captureLogs();
  const root = await tempRoot();
  let flaky: FlakyFile | undefined;
  const sink = await open(root, {
    flushBytes: recordBytes * 4,
    flushIntervalMs: 5,
    openFile: async (path) =>
      flaky = new FlakyFile(await Deno.open(path, { read: true, append: true, create: true })),
  });
  flaky!.failAfter = Math.floor(recordBytes * 2.5); // two whole lines and half of the third
  for (let i = 0; i < 4; i++) sink.write(record(i));
  await waitFor("the failing write", () => sink.stats().failure !== undefined);
  const failing = sink.stats();
  assert.match(failing.failure ?? "", /ENOSPC/);
  assert.equal(failing.written, 2, "the two whole lines count as written");
  const text = await Deno.readTextFile(sink.path);
  assert.ok(text.endsWith("\n"), "no torn line stays in the file");
  assert.deepEqual(await runIds(sink.path), ["run-0", "run-1"]);
  flaky!.failAfter = undefined;
  for (let i = 4; i < 6; i++) sink.write(record(i));
  await sink.close();
  assert.deepEqual(await runIds(sink.path), Array.from({ length: 6 }, (_, i) => `run-${i}`));
  assert.deepEqual([sink.stats().written, sink.stats().failed], [6, 0]);
  assert.ok(logs.messages().some((m) => m.includes("succeeded again")));
});
