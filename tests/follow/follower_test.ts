import assert from "node:assert/strict";
import { join } from "node:path";
import { checkpointPath, readCheckpoint } from "../../src/follow/checkpoint.ts";
import { Follower, FollowerBusyError, type FollowerOptions } from "../../src/follow/follower.ts";
import { LogReader } from "../../src/follow/log_reader.ts";
import { getObserverLogger } from "../../src/log/logging.ts";
import { compileFilter } from "../../src/sinks/record_filter.ts";
import { compileSampler } from "../../src/sinks/record_sampler.ts";
import { MemoryDestination } from "../helpers/memory_destination.ts";
import { recordLine, syntheticRecord } from "../helpers/snapshot_file.ts";
import { recordLines, runIds } from "../helpers/record_lines.ts";
import { tempDir } from "../helpers/temp.ts";
import { waitFor } from "../helpers/wait.ts";

const logger = getObserverLogger("test");
const fast = { firstMs: 1, maxMs: 4 };

const lines = recordLines;
const ids = runIds;

async function follow(
  dir: string,
  destination: MemoryDestination,
  more: Partial<FollowerOptions> = {},
): Promise<Follower> {
  return await Follower.open({
    name: "db",
    log: { dir, base: "observer" },
    destination,
    logger,
    backoff: fast,
    ...more,
  });
}

/** Runs a follower over a complete log and closes it. */
async function followToEnd(
  dir: string,
  destination: MemoryDestination,
  more: Partial<FollowerOptions> = {},
): Promise<Follower> {
  const follower = await follow(dir, destination, more);
  follower.finish();
  await follower.run();
  await follower.close();
  return follower;
}

Deno.test("follower: delivers a log in order through a failing destination, retrying the same batch; memory is one chunk; the checkpoint ends at the log's end", async () => {
  const dir = await tempDir("follow");
  await Deno.writeTextFile(join(dir, "observer.jsonl"), lines(0, 3000));
  const destination = new MemoryDestination();
  destination.failNext = 7;
  const follower = await followToEnd(dir, destination, { chunkBytes: 64 * 1024 });
  assert.deepEqual(destination.runIds, ids(0, 3000));
  assert.equal(destination.attempts, destination.batchSizes.length + 7);
  const perLine = recordLine(0).length + 1;
  // A batch is read on to at least a chunk's worth, so it holds at most two chunks of lines.
  const perChunk = Math.ceil(64 * 1024 / perLine);
  assert.ok(Math.max(...destination.batchSizes) <= 2 * perChunk + 1, `${destination.batchSizes}`);
  assert.ok(destination.batchSizes.length >= 3000 / (2 * perChunk + 1), "many batches");
  const stats = follower.stats();
  assert.deepEqual([stats.state, stats.delivered, stats.deliveredTotal], ["finished", 3000, 3000]);
  const size = (await Deno.stat(join(dir, "observer.jsonl"))).size;
  const checkpoint = await readCheckpoint(checkpointPath(dir, "observer", "db"), "observer");
  assert.deepEqual([checkpoint?.file, checkpoint?.offset, checkpoint?.records], [
    "observer.jsonl",
    size,
    3000,
  ]);
  assert.ok(destination.closed);
});

Deno.test("follower: a new follower of the same name resumes at the checkpoint (only what was added since), across rotated files in the order written", async () => {
  const dir = await tempDir("follow");
  await Deno.writeTextFile(join(dir, "observer_20260126_0900.jsonl"), lines(0, 100));
  const first = new MemoryDestination();
  await followToEnd(dir, first);
  assert.deepEqual(first.runIds, ids(0, 100));
  await Deno.writeTextFile(join(dir, "observer_20260126_0900.jsonl"), lines(100, 150), {
    append: true,
  });
  await Deno.writeTextFile(join(dir, "observer_20260126_0900_1.jsonl"), lines(150, 200));
  await Deno.writeTextFile(join(dir, "observer_20260126_0915.jsonl"), lines(200, 260));
  const second = new MemoryDestination();
  await followToEnd(dir, second);
  assert.deepEqual(second.runIds, ids(100, 260));
});

Deno.test("follower: sampling goes on where it stopped: a follower resumed at each batch keeps the very records one unbroken follower keeps", async () => {
  const dir = await tempDir("follow");
  const log = join(dir, "observer.jsonl");
  const sample = { every: 7 } as const;
  const unbroken = new MemoryDestination();
  await Deno.writeTextFile(log, lines(0, 1000));
  await followToEnd(dir, unbroken, { sample, name: "unbroken" });
  // The same records, appended a few at a time, each part shipped by a new follower.
  await Deno.remove(log);
  const resumed = new MemoryDestination();
  for (let from = 0; from < 1000; from += 137) {
    await Deno.writeTextFile(log, lines(from, Math.min(from + 137, 1000)), { append: true });
    await followToEnd(dir, resumed, { sample, name: "resumed" });
  }
  const sampler = compileSampler(sample);
  const expected = ids(0, 1000).filter((_, i) => sampler(syntheticRecord(i)));
  assert.deepEqual(unbroken.runIds, expected);
  assert.deepEqual(resumed.runIds, expected);
});

Deno.test("follower: the filter applies as it reads; lines that are not records are skipped and counted; a finished file's torn tail is skipped", async () => {
  const dir = await tempDir("follow");
  await Deno.writeTextFile(
    join(dir, "observer_20260126_0900.jsonl"),
    lines(0, 10) + "not a record\n\n" + lines(10, 20) + '{"torn":',
  );
  await Deno.writeTextFile(join(dir, "observer_20260126_0901.jsonl"), lines(20, 30));
  const destination = new MemoryDestination();
  const follower = await followToEnd(dir, destination, {
    filter: compileFilter({ symbol: "005930" }),
  });
  const expected = ids(0, 30).filter((_, i) => i % 4 === 0); // synthetic symbols cycle by 4
  assert.deepEqual(destination.runIds, expected);
  const stats = follower.stats();
  assert.deepEqual([stats.skipped, stats.filtered, stats.delivered], [1, 22, 8]);
});

Deno.test("follower: a log file replaced under the same name since the checkpoint is delivered from its start", async () => {
  const dir = await tempDir("follow");
  const log = join(dir, "observer.jsonl");
  await Deno.writeTextFile(log, lines(0, 50));
  await followToEnd(dir, new MemoryDestination());
  await Deno.remove(log);
  await Deno.writeTextFile(log, lines(50, 120)); // longer than before: only the inode tells
  const destination = new MemoryDestination();
  await followToEnd(dir, destination);
  assert.deepEqual(destination.runIds, ids(50, 120));
});

Deno.test("follower: a live log: woken as it grows, it delivers each part, waits at the end without busy work, and finishes once told the log is complete", async () => {
  const dir = await tempDir("follow");
  const log = join(dir, "observer.jsonl");
  await Deno.writeTextFile(log, lines(0, 10));
  const destination = new MemoryDestination();
  const follower = await follow(dir, destination, { idleMs: 60_000 });
  const done = follower.run();
  const until = async (n: number) => {
    while (destination.runIds.length < n) await new Promise((r) => setTimeout(r, 5));
  };
  await until(10);
  // At the log's end it says it is following (on a busy machine not at once), then waits.
  await waitFor("the follower at the log's end", () => follower.stats().state === "following");
  const attempts = destination.attempts;
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(destination.attempts, attempts, "no delivery while nothing was added");
  assert.equal(follower.stats().state, "following");
  // A line being written (no newline yet) is not read.
  await Deno.writeTextFile(log, lines(10, 20) + recordLine(20), { append: true });
  follower.wake();
  await until(20);
  await Deno.writeTextFile(log, "\n", { append: true });
  follower.finish();
  await done;
  await follower.close();
  assert.deepEqual(destination.runIds, ids(0, 21));
});

Deno.test("follower: a batch that met the end of a live log waits up to its flush interval for more lines and goes as one; once the log is complete nothing waits", async () => {
  const dir = await tempDir("follow");
  const log = join(dir, "observer.jsonl");
  await Deno.writeTextFile(log, lines(0, 10));
  const destination = new MemoryDestination();
  const clock = { ms: 0 };
  // The clock moves only when the test says so: a lost wake-up costs at most a real second.
  const follower = await follow(dir, destination, {
    idleMs: 60_000,
    flushIntervalMs: 1000,
    now: () => clock.ms,
  });
  const done = follower.run();
  await Deno.writeTextFile(log, lines(10, 20), { append: true });
  follower.wake();
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(destination.attempts, 0, "nothing sent before the batch is due");
  clock.ms = 1000;
  follower.wake();
  await waitFor("the batch, once due", () => destination.runIds.length === 20);
  assert.deepEqual(destination.batchSizes, [20]);
  // Told the log is complete, the rest goes at once though its batch is not due (the clock
  // stands still: a wait for it would never end).
  await Deno.writeTextFile(log, lines(20, 25), { append: true });
  follower.finish();
  await done;
  await follower.close();
  assert.deepEqual(destination.runIds, ids(0, 25));
  assert.deepEqual(destination.batchSizes, [20, 5]);
});

Deno.test("follower: stopped while its destination is down, it keeps the checkpoint at the last acknowledged batch; the next run delivers the rest once", async () => {
  const dir = await tempDir("follow");
  await Deno.writeTextFile(join(dir, "observer.jsonl"), lines(0, 2000));
  const destination = new MemoryDestination();
  let batches = 0;
  const down = Promise.withResolvers<void>();
  destination.beforeDeliver = () => {
    if (++batches === 3) {
      destination.failing = true;
      down.resolve();
    }
    return Promise.resolve();
  };
  const follower = await follow(dir, destination, { chunkBytes: 64 * 1024 });
  const done = follower.run();
  await down.promise;
  while (follower.stats().state !== "failing") await new Promise((r) => setTimeout(r, 5));
  const lag = await follower.lag();
  assert.ok(lag.bytes > 0 && lag.records! > 0, JSON.stringify(lag));
  assert.equal(lag.records! + destination.runIds.length, 2000);
  await follower.close();
  await done;
  assert.equal(follower.stats().state, "stopped");
  const delivered = destination.runIds.length;
  destination.failing = false;
  destination.beforeDeliver = undefined;
  await followToEnd(dir, destination);
  assert.deepEqual(destination.runIds, ids(0, 2000));
  assert.ok(delivered > 0 && delivered < 2000);
});

Deno.test("follower: one process per follower: a second of the same name is refused, naming the log; a corrupt checkpoint is refused, naming the file", async () => {
  const dir = await tempDir("follow");
  await Deno.writeTextFile(join(dir, "observer.jsonl"), lines(0, 1));
  const first = await follow(dir, new MemoryDestination());
  await assert.rejects(() => follow(dir, new MemoryDestination()), FollowerBusyError);
  await first.close();
  await Deno.writeTextFile(checkpointPath(dir, "observer", "db"), '{"version": 1, "log": "x"}');
  await assert.rejects(
    () => follow(dir, new MemoryDestination()),
    /observer\.follow\.db\.checkpoint\.json: expected a checkpoint of the log "observer", got "x"/,
  );
});

Deno.test("log reader: a line longer than a chunk is read whole; bytes and lines behind count what is left", async () => {
  const dir = await tempDir("follow");
  const long = JSON.stringify({ x: "y".repeat(300_000) });
  await Deno.writeTextFile(join(dir, "observer.jsonl"), `a\n${long}\nb\n`);
  using reader = new LogReader({ dir, base: "observer" }, undefined, { chunkBytes: 1024 });
  const first = await reader.next();
  assert.deepEqual(first?.lines.map((l) => l.text), ["a"]);
  assert.equal(await reader.bytesBehind(), long.length + 3);
  assert.equal(await reader.linesBehind(), 2);
  const second = await reader.next();
  assert.deepEqual(second?.lines.map((l) => l.text.length), [long.length, 1]);
  assert.equal(await reader.next(), undefined);
  assert.equal(await reader.bytesBehind(), 0);
});
