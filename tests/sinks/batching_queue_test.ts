import assert from "node:assert/strict";
import {
  type Batch,
  BatchingQueue,
  MAX_STREAMED_BATCH_ITEMS,
  type WhenFull,
} from "../../src/sinks/batching_queue.ts";
import { FakeTimers as HandTimers } from "../helpers/fake_timers.ts";

/** The shared fake timers, whose `advance` also lets the writes it starts settle. */
class FakeTimers extends HandTimers {
  override async advance(ms: number): Promise<void> {
    super.advance(ms);
    await settle();
  }
}

const settle = () => new Promise((r) => setTimeout(r, 0));

/** A destination that records batches and fails while `failing` is set. */
class Destination {
  readonly batches: string[][] = [];
  failing: string | undefined;
  /** When failing: how many items of the batch get through first. */
  partial = 0;
  write = (batch: Batch<string>): Promise<void> => {
    if (this.failing !== undefined) {
      batch.done = Math.min(this.partial, batch.items.length);
      if (batch.done > 0) this.batches.push(batch.items.slice(0, batch.done));
      return Promise.reject(new Error(this.failing));
    }
    this.batches.push([...batch.items]);
    batch.done = batch.items.length;
    return Promise.resolve();
  };
  get items(): string[] {
    return this.batches.flat();
  }
}

function queue(dest: Destination, timers: FakeTimers, options: {
  maxBytes?: number;
  flushBytes?: number;
  whenFull?: WhenFull;
  events?: string[];
  retryDelayMs?: (attempt: number) => number;
  onRelease?: (item: string) => void;
} = {}) {
  return new BatchingQueue<string>({
    maxBytes: options.maxBytes ?? 100,
    flushBytes: options.flushBytes ?? 30,
    flushIntervalMs: 10,
    whenFull: options.whenFull ?? "block",
    sizeOf: () => 10,
    write: dest.write,
    timers,
    onFailure: (cause) => options.events?.push(`failure ${cause}`),
    onRecovery: (cause, n) => options.events?.push(`recovered ${cause} ${n}`),
    retryDelayMs: options.retryDelayMs,
    onRelease: options.onRelease,
  });
}

Deno.test("items are batched by size, and the interval writes a smaller batch on its own", async () => {
  const dest = new Destination();
  const timers = new FakeTimers();
  const q = queue(dest, timers);
  q.push("a");
  q.push("b");
  await settle();
  assert.deepEqual(dest.batches, [], "below flushBytes: nothing written yet");
  await timers.advance(9);
  assert.deepEqual(dest.batches, []);
  await timers.advance(1);
  assert.deepEqual(dest.batches, [["a", "b"]], "written 10 ms after the first item");
  for (const x of ["c", "d", "e", "f"]) q.push(x);
  await settle();
  assert.deepEqual(dest.batches[1], ["c", "d", "e"], "a batch is cut at flushBytes");
  assert.equal(q.stats().queued, 1);
  await q.close();
  assert.deepEqual(dest.items, ["a", "b", "c", "d", "e", "f"]);
  assert.equal(timers.pending, 0, "close leaves no timer behind");
});

Deno.test("block: a full queue makes push awaitable until there is room; nothing lost, in order", async () => {
  const dest = new Destination();
  const timers = new FakeTimers();
  const q = queue(dest, timers, { maxBytes: 30, flushBytes: 1000 });
  let waited = 0;
  for (let i = 0; i < 20; i++) {
    const wait = q.push(`x${i}`);
    if (wait !== undefined) {
      waited++;
      await wait;
    }
    assert.ok(q.stats().queuedBytes <= 40, "bounded (one item over while it waits at most)");
  }
  await q.close();
  assert.ok(waited > 0);
  assert.deepEqual(dest.items, Array.from({ length: 20 }, (_, i) => `x${i}`));
  assert.equal(q.stats().written, 20);
});

Deno.test("drop_newest and drop_oldest keep the first or the last items and count the drops", async () => {
  for (
    const [policy, kept] of [["drop_newest", ["0", "1", "2"]], ["drop_oldest", [
      "7",
      "8",
      "9",
    ]]] as const
  ) {
    const dest = new Destination();
    const q = queue(dest, new FakeTimers(), { maxBytes: 30, flushBytes: 1000, whenFull: policy });
    for (let i = 0; i < 10; i++) assert.equal(q.push(String(i)), undefined, "never blocks");
    await q.close();
    assert.deepEqual(dest.items, kept, policy);
    assert.deepEqual([q.stats().dropped, q.stats().written], [7, 3]);
  }
});

Deno.test("a failing destination under drop_newest: one episode, the queue is kept and retried, overflow counted, the producer never blocked", async () => {
  const dest = new Destination();
  const timers = new FakeTimers();
  const events: string[] = [];
  const q = queue(dest, timers, { maxBytes: 50, flushBytes: 20, events, whenFull: "drop_newest" });
  dest.failing = "ENOSPC: no space";
  dest.partial = 1;
  q.push("y0");
  q.push("y1"); // flushBytes reached: the write starts and fails
  await settle();
  assert.deepEqual(events, ["failure Error: ENOSPC: no space"]);
  for (let i = 2; i < 10; i++) assert.equal(q.push(`y${i}`), undefined, "never blocks");
  await settle();
  assert.deepEqual(events, ["failure Error: ENOSPC: no space"], "one failure per episode");
  assert.deepEqual(dest.items, ["y0"], "what got through before the failure counts as written");
  const failing = q.stats();
  assert.equal(failing.failing, true);
  assert.equal(failing.written, 1);
  assert.ok(failing.failed > 0, "items that did not fit while failing are counted");
  assert.equal(failing.written + failing.failed + failing.queued, 10, "every item accounted for");
  await timers.advance(10);
  assert.equal(events.length, 1, "retries do not log again");
  await assert.rejects(q.flush(), /ENOSPC/);
  dest.failing = undefined;
  await timers.advance(10);
  assert.equal(events[1], `recovered Error: ENOSPC: no space ${failing.failed}`);
  await q.flush();
  const after = q.stats();
  assert.equal(after.queued, 0);
  assert.equal(after.failing, false);
  assert.equal(after.failure, "Error: ENOSPC: no space", "the last episode's cause stays readable");
  assert.deepEqual(
    dest.items,
    dest.items.toSorted((a, b) => Number(a.slice(1)) - Number(b.slice(1))),
    "in order",
  );
  assert.equal(after.written + after.failed, 10);
  await q.close();
});

Deno.test("a failing destination under block: the producer waits (nothing counted lost) until the destination takes records again, then every item is written in order", async () => {
  const dest = new Destination();
  const timers = new FakeTimers();
  const events: string[] = [];
  const q = queue(dest, timers, { maxBytes: 50, flushBytes: 20, events });
  dest.failing = "ENOSPC: no space";
  const pushed: string[] = [];
  const producer = (async () => {
    for (let i = 0; i < 10; i++) {
      await q.push(`b${i}`);
      pushed.push(`b${i}`);
    }
  })();
  await settle();
  await timers.advance(10);
  await settle();
  assert.equal(q.stats().failing, true);
  assert.equal(pushed.length, 5, "the producer waits once the queue is full");
  assert.equal(q.stats().failed, 0, "nothing is given up on while the producer waits");
  dest.failing = undefined;
  for (let i = 0; i < 10 && pushed.length < 10; i++) {
    await timers.advance(10);
    await settle();
  }
  await producer;
  await q.flush();
  assert.deepEqual(dest.items, Array.from({ length: 10 }, (_, i) => `b${i}`));
  assert.deepEqual([q.stats().written, q.stats().failed, q.stats().dropped], [10, 0, 0]);
  assert.deepEqual(events, [
    "failure Error: ENOSPC: no space",
    "recovered Error: ENOSPC: no space 0",
  ]);
  await q.close();
});

Deno.test("unblock: a producer waiting for a failing destination goes on at once, later pushes do not wait, and close counts what could not be written", async () => {
  const dest = new Destination();
  const timers = new FakeTimers();
  const q = queue(dest, timers, { maxBytes: 30, flushBytes: 20 });
  dest.failing = "EIO";
  for (let i = 0; i < 3; i++) await q.push(`u${i}`);
  const waiting = q.push("u3");
  assert.ok(waiting instanceof Promise, "full: the producer waits");
  let released = false;
  waiting.then(() => released = true);
  await settle();
  assert.equal(released, false);
  q.unblock();
  await settle();
  assert.equal(released, true, "unblocked");
  assert.equal(q.push("u4"), undefined, "no later push waits");
  assert.equal(await q.close(), 5);
  assert.deepEqual([q.stats().failed, q.stats().written], [5, 0]);
});

Deno.test("close gives up on what still cannot be written and says how much; push after close throws", async () => {
  const dest = new Destination();
  const q = queue(dest, new FakeTimers());
  dest.failing = "EIO";
  q.push("a");
  q.push("b");
  assert.equal(await q.close(), 2);
  assert.deepEqual([q.stats().failed, q.stats().queued, q.stats().written], [2, 0, 0]);
  assert.throws(() => q.push("c"), /closed: expected push\(\) before close\(\)/);
});

Deno.test("each item is released once, after it was written, or when dropped or given up on (never while it may still be written)", async () => {
  const scenarios: Record<string, (dest: Destination, q: BatchingQueue<string>) => Promise<void>> =
    {
      "drop_newest": (_dest, q) => {
        for (let i = 0; i < 10; i++) q.push(`x${i}`);
        return Promise.resolve();
      },
      "drop_oldest": (_dest, q) => {
        for (let i = 0; i < 10; i++) q.push(`x${i}`);
        return Promise.resolve();
      },
      "failing, then recovered": async (dest, q) => {
        dest.failing = "ENOSPC";
        dest.partial = 1;
        for (let i = 0; i < 10; i++) q.push(`x${i}`);
        await settle();
        dest.failing = undefined;
        await q.flush();
      },
      "still failing at close": async (dest, q) => {
        dest.failing = "EIO";
        for (let i = 0; i < 10; i++) q.push(`x${i}`);
        await settle();
      },
      "block": async (_dest, q) => {
        for (let i = 0; i < 10; i++) await q.push(`x${i}`);
      },
    };
  for (const [name, run] of Object.entries(scenarios)) {
    const dest = new Destination();
    /** Each release, with whether the item had reached the destination by then. */
    const released = new Map<string, boolean>();
    const q = queue(dest, new FakeTimers(), {
      maxBytes: 30,
      flushBytes: 20,
      whenFull: name.startsWith("drop") ? name as WhenFull : "block",
      onRelease: (item) => {
        assert.ok(!released.has(item), `${name}: ${item} released twice`);
        released.set(item, dest.items.includes(item));
      },
    });
    await run(dest, q);
    await q.close();
    assert.deepEqual([...released.keys()].sort(), Array.from({ length: 10 }, (_, i) => `x${i}`));
    for (const [item, wasWritten] of released) {
      assert.equal(dest.items.includes(item), wasWritten, `${name}: ${item} released too early`);
    }
    const stats = q.stats();
    assert.equal(
      [...released.values()].filter((w) => w).length,
      stats.written,
      `${name}: the written ones`,
    );
  }
});

Deno.test("bad sizes are refused with what was expected", () => {
  const dest = new Destination();
  for (
    const [key, value] of [["maxBytes", 0], ["flushBytes", -1], ["flushIntervalMs", NaN]] as const
  ) {
    assert.throws(
      () =>
        new BatchingQueue<string>({
          maxBytes: 1,
          flushBytes: 1,
          flushIntervalMs: 1,
          whenFull: "block",
          sizeOf: () => 1,
          write: dest.write,
          [key]: value,
        }),
      /expected a positive number/,
    );
  }
});

Deno.test("a failure episode retries after the backoff delay of each attempt, and starts over after recovery", async () => {
  const dest = new Destination();
  const timers = new FakeTimers();
  const attemptsAt: number[] = [];
  const write = dest.write;
  dest.write = (batch) => {
    attemptsAt.push(timers.now);
    return write(batch);
  };
  const q = queue(dest, timers, { retryDelayMs: (n) => 100 * 2 ** (n - 1) });
  dest.failing = "ECONNREFUSED";
  q.push("a");
  await timers.advance(10); // first attempt at the flush interval
  for (let i = 0; i < 40; i++) await timers.advance(10);
  assert.deepEqual(attemptsAt, [10, 110, 310], "then 100, 200 (and 400 next) ms apart");
  dest.failing = undefined;
  for (let i = 0; i < 40; i++) await timers.advance(10);
  assert.deepEqual(dest.items, ["a"]);
  assert.equal(attemptsAt[3], 710);
  dest.failing = "ECONNREFUSED";
  q.push("b");
  for (let i = 0; i < 12; i++) await timers.advance(10);
  assert.deepEqual(attemptsAt.slice(4), [820, 920], "a new episode starts from the first delay");
  dest.failing = undefined;
  await q.close();
});

Deno.test("an item left below flushBytes after a size-triggered write is still written within the interval (the interval came due during that write)", async () => {
  const written: string[][] = [];
  let release!: () => void;
  const timers = new FakeTimers();
  const q = new BatchingQueue<string>({
    maxBytes: 100,
    flushBytes: 30,
    flushIntervalMs: 10,
    whenFull: "block",
    sizeOf: () => 10,
    timers,
    write: (batch) => {
      written.push([...batch.items]);
      batch.done = batch.items.length;
      return written.length === 1 ? new Promise<void>((r) => release = r) : Promise.resolve();
    },
  });
  q.push("a"); // arms the interval
  q.push("b");
  q.push("c"); // flushBytes reached: a write starts, and stays pending
  await settle();
  assert.deepEqual(written, [["a", "b", "c"]]);
  q.push("d"); // below flushBytes
  await timers.advance(10); // the interval comes due while the first write is pending
  release();
  await settle();
  await timers.advance(10);
  await timers.advance(10);
  assert.deepEqual(written, [["a", "b", "c"], ["d"]], "d did not wait for another push");
  assert.equal(q.stats().queued, 0);
  await q.close();
});

/**
 * A streaming writer, driven by the test: `step(n)` hands over `n` more items of the open write
 * with `commit`, `more()` takes queued items in with `extend`, `end()` finishes the write (all
 * done), `fail(cause)` throws from it.
 */
class StreamingDestination {
  readonly written: string[] = [];
  #batch: Batch<string> | undefined;
  #finish: ((error?: Error) => void) | undefined;
  writes = 0;
  write = (batch: Batch<string>): Promise<void> => {
    this.writes++;
    this.#batch = batch;
    return new Promise<void>((resolve, reject) => {
      this.#finish = (error) => error === undefined ? resolve() : reject(error);
    });
  };
  get open(): Batch<string> {
    assert.ok(this.#batch !== undefined, "a write is open");
    return this.#batch;
  }
  step(n: number): void {
    const batch = this.open;
    const end = batch.done + n;
    for (let i = batch.done; i < end; i++) this.written.push(batch.items[i]);
    batch.done = end;
    batch.commit();
  }
  more(): number {
    return this.open.extend();
  }
  end(): void {
    const batch = this.open;
    this.step(batch.items.length - batch.done);
    this.#batch = undefined;
    this.#finish!();
  }
  fail(cause: string): void {
    this.#batch = undefined;
    this.#finish!(new Error(cause));
  }
}

function streamingQueue(dest: StreamingDestination, timers: FakeTimers, released: string[]) {
  return new BatchingQueue<string>({
    maxBytes: 50,
    flushBytes: 30,
    flushIntervalMs: 10,
    whenFull: "block",
    sizeOf: () => 10,
    write: dest.write,
    timers,
    onRelease: (item) => released.push(item),
  });
}

Deno.test("a streaming write: what it commits is written at once and its room given back to a blocked producer; what it takes in with extend is written in order; every item once", async () => {
  const timers = new FakeTimers();
  const dest = new StreamingDestination();
  const released: string[] = [];
  const q = streamingQueue(dest, timers, released);
  for (let i = 0; i < 5; i++) await q.push(`i${i}`);
  // Full (5 × 10 of 50 bytes): the sixth waits; the write of the first three is open.
  let sixthIn = false;
  const sixth = Promise.resolve(q.push("i5")).then(() => sixthIn = true);
  await settle();
  assert.equal(dest.writes, 1);
  assert.equal(dest.open.items.length, 3);
  assert.equal(sixthIn, false);
  dest.step(2);
  await settle();
  assert.equal(sixthIn, true, "the committed items' room went to the waiting producer");
  await sixth;
  assert.deepEqual(released, ["i0", "i1"]);
  assert.equal(q.stats().written, 2);
  assert.equal(q.stats().queued, 4);
  assert.equal(dest.open.items[0], undefined, "a committed item is let go of");
  // i3, i4, i5 are queued: extend takes them into the open write (up to flushBytes).
  assert.equal(dest.more(), 3);
  assert.equal(dest.more(), 0);
  await q.push("i6");
  assert.equal(dest.more(), 1);
  dest.end();
  await q.flush();
  assert.equal(dest.writes, 1, "one write carried all of it");
  assert.deepEqual(dest.written, ["i0", "i1", "i2", "i3", "i4", "i5", "i6"]);
  assert.deepEqual(released, dest.written);
  const s = q.stats();
  assert.deepEqual([s.accepted, s.written, s.queued, s.queuedBytes], [7, 7, 0, 0]);
  await q.close();
});

Deno.test("a streaming write that fails after committing: what it committed stays written, the rest (taken in too) is retried from where it stopped; nothing written twice or lost", async () => {
  const timers = new FakeTimers();
  const dest = new StreamingDestination();
  const released: string[] = [];
  const q = streamingQueue(dest, timers, released);
  for (let i = 0; i < 3; i++) await q.push(`i${i}`);
  await settle();
  dest.step(1);
  await q.push("i3");
  assert.equal(dest.more(), 1);
  dest.step(1);
  dest.fail("connection lost");
  await settle();
  const failing = q.stats();
  assert.equal(failing.failing, true);
  assert.equal(failing.written, 2);
  assert.equal(failing.queued, 2);
  assert.equal(failing.queuedBytes, 20);
  // Committing after the write is over changes nothing.
  await timers.advance(10);
  assert.equal(dest.writes, 2, "retried");
  assert.deepEqual(dest.open.items, ["i2", "i3"]);
  dest.end();
  await q.flush();
  assert.deepEqual(dest.written, ["i0", "i1", "i2", "i3"]);
  assert.deepEqual(released, dest.written);
  assert.equal(q.stats().failing, false);
  assert.equal(q.stats().written, 4);
  await q.close();
});

Deno.test("extend stops at MAX_STREAMED_BATCH_ITEMS: the write then ends and the next one takes the rest", async () => {
  const timers = new FakeTimers();
  const dest = new StreamingDestination();
  const q = new BatchingQueue<string>({
    maxBytes: 10 * MAX_STREAMED_BATCH_ITEMS,
    flushBytes: 4096,
    flushIntervalMs: 10,
    whenFull: "drop_newest",
    sizeOf: () => 1,
    write: dest.write,
    timers,
  });
  const total = MAX_STREAMED_BATCH_ITEMS + 5000;
  for (let i = 0; i < total; i++) q.push(`i${i}`);
  await settle();
  let taken = dest.open.items.length;
  for (let got = dest.more(); got > 0; got = dest.more()) taken += got;
  assert.equal(taken, MAX_STREAMED_BATCH_ITEMS);
  dest.end();
  await settle();
  assert.equal(dest.writes, 2);
  assert.equal(dest.open.items[0], `i${MAX_STREAMED_BATCH_ITEMS}`);
  while (dest.more() > 0);
  dest.end();
  await q.flush();
  assert.equal(dest.writes, 2);
  assert.equal(q.stats().written, total);
  assert.deepEqual(dest.written, Array.from({ length: total }, (_, i) => `i${i}`));
  await q.close();
});

/**
 * A queue with a producer that keeps up: while a batch is written, three more items come (up to
 * 300 in all, while `state.producing`); the first three are queued at once. The destination
 * fails while `failing()` says so.
 */
function busyQueue(failing: () => boolean = () => false) {
  const written: string[] = [];
  const state = { produced: 0, producing: true };
  const q: BatchingQueue<string> = new BatchingQueue<string>({
    maxBytes: 1000,
    flushBytes: 30,
    flushIntervalMs: 10,
    whenFull: "block",
    sizeOf: () => 10,
    timers: new FakeTimers(),
    write: async (batch) => {
      await settle();
      if (failing()) throw new Error("down");
      written.push(...batch.items);
      batch.done = batch.items.length;
      if (state.producing && state.produced < 300) {
        for (let i = 0; i < 3; i++) q.push(`x${state.produced++}`);
      }
    },
  });
  while (state.produced < 3) q.push(`x${state.produced++}`);
  return { q, written, state };
}

Deno.test("flush resolves once what was accepted before it is written, while a producer keeps the queue busy (not at the first quiet moment)", async () => {
  const { q, written, state } = busyQueue();
  let flushed = -1;
  await q.flush().then(() => flushed = state.produced);
  assert.ok(["x0", "x1", "x2"].every((x) => written.includes(x)), "what came before is written");
  assert.ok(flushed < 300, `flush waited for the producer to stop (${flushed} items came first)`);
  state.producing = false;
  await q.close();
  assert.deepEqual(written, Array.from({ length: state.produced }, (_, i) => `x${i}`));
});

Deno.test("drop_oldest: flush does not resolve while an older batch is still being written (newer items dropped meanwhile do not count for it)", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  const written: string[] = [];
  const q = new BatchingQueue<string>({
    maxBytes: 100,
    flushBytes: 50,
    flushIntervalMs: 10,
    whenFull: "drop_oldest",
    sizeOf: () => 10,
    timers: new FakeTimers(),
    write: async (batch) => {
      await gate; // a slow disk
      written.push(...batch.items);
      batch.done = batch.items.length;
    },
  });
  for (let i = 0; i < 10; i++) q.push(`a${i}`); // a0..a4 being written, a5..a9 queued
  let flushed = false;
  const flushing = q.flush().then(() => flushed = true);
  for (let i = 0; i < 10; i++) q.push(`b${i}`); // drops a5..a9, then b0..b4
  await settle();
  assert.equal(flushed, false, "flush resolved before a0..a4 were written");
  release();
  await flushing;
  assert.deepEqual(written.slice(0, 5), ["a0", "a1", "a2", "a3", "a4"]);
  await q.close();
  assert.equal(q.stats().dropped, 10);
});

Deno.test("flush called while failing: one attempt, and once it recovers, flush resolves while a producer keeps the queue busy", async () => {
  let failing = true;
  const { q, written, state } = busyQueue(() => failing);
  await settle();
  await settle();
  assert.equal(q.stats().failing, true);
  await assert.rejects(q.flush(), /down/, "still failing: one attempt, then the failure");
  failing = false;
  let flushedAt = -1;
  await q.flush().then(() => flushedAt = state.produced);
  assert.ok(
    flushedAt < 300,
    `flush waited for the producer to stop (${flushedAt} items came first)`,
  );
  state.producing = false;
  await q.close();
  assert.deepEqual(written, Array.from({ length: state.produced }, (_, i) => `x${i}`));
});
