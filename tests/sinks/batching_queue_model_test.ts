/**
 * A model-based test of the batching queue: random sequences of pushes, writes that succeed or
 * fail part way, time passing, waits for room and for the queue drained, run against the real
 * queue (with fake timers and a destination the test answers by hand) and against a reference
 * model (plain arrays). After each step the queue's counters must be the model's, the batches
 * written must be the model's items in order, and every waiter must be settled exactly when the
 * model says it may be.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { type Batch, BatchingQueue, type WhenFull } from "../../src/sinks/batching_queue.ts";
import { FakeTimers } from "../helpers/fake_timers.ts";

const MAX_BYTES = 100;
const FLUSH_BYTES = 30;
const FLUSH_INTERVAL_MS = 10;

/** An item: its id and size, as `id:size`. */
interface Item {
  readonly id: number;
  readonly size: number;
}

const text = (item: Item) => `${item.id}:${item.size}`;
const sizeOf = (line: string) => Number(line.split(":")[1]);
const bytesOf = (items: readonly Item[]) => items.reduce((n, item) => n + item.size, 0);

/** A write the test has not answered yet. */
interface HeldWrite {
  readonly batch: Batch<string>;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** A wait for room (or for the queue drained) and how it settled. */
interface Waiter {
  readonly need: number;
  settled?: { value: boolean | "drained"; queuedBytes: number; failing: boolean };
}

/** The reference model: the queue as plain arrays and counters. */
interface Model {
  readonly policy: WhenFull;
  nextId: number;
  queue: Item[];
  inflight: Item[];
  written: number[];
  accepted: number;
  dropped: number;
  failed: number;
  failing: boolean;
  /** True while the destination holds a write the test has not answered. */
  writePending: boolean;
  roomWaiters: Waiter[];
  drainWaiters: Waiter[];
  /** Producers a push held (block), and whether each went on. */
  held: { released: boolean }[];
}

/** The queue under test and what the test sees of it. */
interface Real {
  readonly queue: BatchingQueue<string>;
  readonly timers: FakeTimers;
  held: HeldWrite | undefined;
}

const settle = () => new Promise((r) => setTimeout(r, 0));
const pending = (m: Model) => bytesOf(m.queue) + bytesOf(m.inflight);

/** Lets the queue run, then takes a write it started into the model (and checks it). */
async function observe(m: Model, r: Real): Promise<void> {
  await settle();
  if (r.held !== undefined && !m.writePending) {
    const items = r.held.batch.items.map((line) => Number(line.split(":")[0]));
    if (m.inflight.length > 0) {
      // A retry: the rest of the batch that failed, as it was.
      assert.deepEqual(items, m.inflight.map((i) => i.id), "a retry writes the rest of its batch");
    } else {
      const head = m.queue.slice(0, items.length).map((i) => i.id);
      assert.deepEqual(items, head, "a batch is the oldest items queued, in order");
      assert.ok(items.length > 0);
      m.inflight = m.queue.splice(0, items.length);
    }
    m.writePending = true;
  }
  check(m, r);
}

/** The real queue agrees with the model, and every waiter settled as the model allows. */
function check(m: Model, r: Real): void {
  const stats = r.queue.stats();
  assert.equal(stats.queuedBytes, pending(m), "queued bytes");
  assert.equal(stats.queued, m.queue.length + m.inflight.length, "queued records");
  assert.equal(stats.accepted, m.accepted, "accepted");
  assert.equal(stats.dropped, m.dropped, "dropped");
  assert.equal(stats.failed, m.failed, "failed");
  assert.equal(stats.failing, m.failing, "failing");
  assert.equal(stats.written, m.written.length, "written");
  const fits = (need: number) => pending(m) + Math.min(need, MAX_BYTES) <= MAX_BYTES;
  for (const w of m.roomWaiters) {
    if (w.settled === undefined) {
      assert.ok(!fits(w.need) && !m.failing, `a wait for ${w.need} bytes is still waiting`);
    } else if (w.settled.value === true) {
      assert.ok(w.settled.queuedBytes + Math.min(w.need, MAX_BYTES) <= MAX_BYTES, "room when true");
    } else {
      assert.ok(w.settled.failing, "false only while failing");
    }
  }
  for (const w of m.drainWaiters) {
    if (w.settled === undefined) assert.ok(pending(m) > 0, "a drained wait is still waiting");
    else assert.equal(w.settled.queuedBytes, 0, "drained when it settled");
  }
}

type Command = fc.AsyncCommand<Model, Real>;

class Push implements Command {
  constructor(readonly size: number) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const item = { id: m.nextId++, size: this.size };
    const full = pending(m) + item.size > MAX_BYTES && m.queue.length > 0;
    const result = r.queue.push(text(item));
    if (full && m.failing && m.policy !== "block") {
      m.failed++;
    } else if (full && m.policy === "drop_newest") {
      m.dropped++;
    } else {
      if (full && m.policy === "drop_oldest") {
        while (m.queue.length > 0 && pending(m) + item.size > MAX_BYTES) {
          m.queue.shift();
          m.dropped++;
        }
      }
      m.queue.push(item);
      m.accepted++;
    }
    assert.equal(result instanceof Promise, full && m.policy === "block", "held only when full");
    if (result instanceof Promise) {
      const held = { released: false };
      m.held.push(held);
      void result.then(() => held.released = true);
    }
    await observe(m, r);
  }
  toString = () => `push(${this.size})`;
}

class AnswerWrite implements Command {
  constructor(readonly ok: boolean, readonly partial: number) {}
  check = (m: Readonly<Model>) => m.writePending;
  async run(m: Model, r: Real): Promise<void> {
    const held = r.held!;
    r.held = undefined;
    m.writePending = false;
    const done = this.ok ? m.inflight.length : Math.min(this.partial, m.inflight.length);
    assert.deepEqual(
      held.batch.items.slice(0, done).map((line) => Number(line.split(":")[0])),
      m.inflight.slice(0, done).map((i) => i.id),
      "what reaches the destination is the model's items, in order",
    );
    m.written.push(...m.inflight.slice(0, done).map((i) => i.id)); // written in order
    m.inflight = m.inflight.slice(done);
    if (this.ok) {
      held.batch.done = held.batch.items.length;
      held.resolve();
    } else {
      held.batch.done = done;
      held.reject(new Error("disk full"));
    }
    m.failing = !this.ok;
    await observe(m, r);
    if (this.ok && pending(m) < MAX_BYTES) {
      for (const h of m.held) assert.ok(h.released, "a held producer goes on once there is room");
    }
  }
  toString = () => (this.ok ? "write ok" : `write fails after ${this.partial}`);
}

class Advance implements Command {
  constructor(readonly ms: number) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    r.timers.advance(this.ms);
    await observe(m, r);
  }
  toString = () => `advance(${this.ms})`;
}

class WaitForRoom implements Command {
  constructor(readonly need: number) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const waiter: Waiter = { need: this.need };
    m.roomWaiters.push(waiter);
    void r.queue.waitForRoom(this.need).then((value) => {
      const stats = r.queue.stats();
      waiter.settled = { value, queuedBytes: stats.queuedBytes, failing: stats.failing };
    });
    await observe(m, r);
  }
  toString = () => `waitForRoom(${this.need})`;
}

class WaitDrained implements Command {
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const waiter: Waiter = { need: 0 };
    m.drainWaiters.push(waiter);
    void r.queue.drained().then(() => {
      const stats = r.queue.stats();
      waiter.settled = { value: "drained", queuedBytes: stats.queuedBytes, failing: false };
    });
    await observe(m, r);
  }
  toString = () => "drained()";
}

const commands = [
  fc.integer({ min: 1, max: 40 }).map((size) => new Push(size)),
  fc.tuple(fc.boolean(), fc.nat(4)).map(([ok, partial]) => new AnswerWrite(ok, partial)),
  fc.constantFrom(1, FLUSH_INTERVAL_MS, 50).map((ms) => new Advance(ms)),
  fc.integer({ min: 1, max: 150 }).map((need) => new WaitForRoom(need)),
  fc.constant(new WaitDrained()),
];

Deno.test("batching queue against a reference model: counters, order of writes, and waits for room and for the queue drained settle exactly when the model allows (property)", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom<WhenFull>("block", "drop_newest", "drop_oldest"),
      fc.commands(commands, { maxCommands: 60 }),
      async (policy, cmds) => {
        const timers = new FakeTimers();
        const real: Real = { timers, held: undefined, queue: undefined! };
        const queue = new BatchingQueue<string>({
          maxBytes: MAX_BYTES,
          flushBytes: FLUSH_BYTES,
          flushIntervalMs: FLUSH_INTERVAL_MS,
          whenFull: policy,
          sizeOf,
          timers,
          write: (batch) =>
            new Promise<void>((resolve, reject) => {
              real.held = { batch, resolve, reject };
            }),
        });
        Object.assign(real, { queue });
        const model: Model = {
          policy,
          nextId: 0,
          queue: [],
          inflight: [],
          written: [],
          accepted: 0,
          dropped: 0,
          failed: 0,
          failing: false,
          writePending: false,
          roomWaiters: [],
          drainWaiters: [],
          held: [],
        };
        await fc.asyncModelRun(() => ({ model, real }), cmds);
        // Let everything be written, so that nothing is left pending.
        for (let step = 0; real.held !== undefined || pending(model) > 0; step++) {
          assert.ok(step < 1000, "the queue empties once every write succeeds");
          if (model.writePending) await new AnswerWrite(true, 0).run(model, real);
          else await new Advance(FLUSH_INTERVAL_MS).run(model, real);
        }
        queue.unblock();
        await queue.close();
        await settle();
        for (const w of [...model.roomWaiters, ...model.drainWaiters]) {
          assert.ok(w.settled !== undefined, "every wait settled once the queue is empty");
        }
        for (const h of model.held) assert.ok(h.released, "every held producer went on");
      },
    ),
    { numRuns: 150 },
  );
});
