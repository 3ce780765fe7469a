import assert from "node:assert/strict";
import { join } from "node:path";
import { checkpointPath, readCheckpoint } from "../../src/follow/checkpoint.ts";
import { Follower } from "../../src/follow/follower.ts";
import { getObserverLogger } from "../../src/log/logging.ts";
import type { BatchDestination, Delivery, LoggedRecord } from "../../src/sinks/sink.ts";
import { recordLines, runIds } from "../helpers/record_lines.ts";
import { tempDir } from "../helpers/temp.ts";

const logger = getObserverLogger("test");

/** One call of `deliver`, answered by the test. */
interface Call {
  readonly ids: string[];
  readonly answer: PromiseWithResolvers<Delivery>;
  settled: boolean;
  acked: boolean;
}

/**
 * A destination taking two batches at once whose deliveries the test acknowledges or fails one
 * by one, in any order; once `auto` is set it acknowledges every call (pending ones too).
 */
class ManualDestination implements BatchDestination {
  readonly name = "manual";
  readonly description = "manual";
  readonly batchesInFlight = 2;
  readonly calls: Call[] = [];
  /** Run ids of acknowledged deliveries. */
  readonly acked = new Set<string>();
  /** The most calls in flight at once. */
  mostInFlight = 0;
  #auto = false;
  #waiting: { count: number; resolve: () => void } | undefined;

  deliver(batch: readonly LoggedRecord[]): Promise<Delivery> {
    const call: Call = {
      ids: batch.map(({ record }) => record.snapshot.meta.run_id),
      answer: Promise.withResolvers<Delivery>(),
      settled: false,
      acked: false,
    };
    this.calls.push(call);
    const inFlight = this.calls.filter((c) => !c.settled).length;
    this.mostInFlight = Math.max(this.mostInFlight, inFlight);
    if (this.#auto) this.ack(this.calls.length - 1);
    if (this.#waiting !== undefined && this.calls.length >= this.#waiting.count) {
      this.#waiting.resolve();
      this.#waiting = undefined;
    }
    return call.answer.promise;
  }

  /** Resolves once `count` calls were made. */
  calledTimes(count: number): Promise<void> {
    if (this.calls.length >= count) return Promise.resolve();
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#waiting = { count, resolve };
    return promise;
  }

  ack(i: number): void {
    const call = this.calls[i];
    call.settled = true;
    call.acked = true;
    for (const id of call.ids) this.acked.add(id);
    call.answer.resolve({ refused: 0 });
  }

  fail(i: number): void {
    this.calls[i].settled = true;
    this.calls[i].answer.reject(new Error("connection lost (test)"));
  }

  /** Acknowledges every call from now on, and those pending. */
  auto(): void {
    this.#auto = true;
    this.calls.forEach((call, i) => call.settled || this.ack(i));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

Deno.test("follower with two batches in flight: the checkpoint never passes a record not acknowledged in order; a failure sends every batch in flight again from the first unacknowledged one, skipping nothing", async () => {
  const dir = await tempDir("follow-pipeline");
  await Deno.writeTextFile(join(dir, "observer.jsonl"), recordLines(0, 3000));
  const destination = new ManualDestination();
  const violations: string[] = [];
  const opened: { follower?: Follower } = {};
  // Checked at every change the follower reports: what the checkpoint counts as delivered (the
  // log's first records, no filter) was acknowledged.
  const check = () => {
    const delivered = opened.follower?.stats().deliveredTotal ?? 0;
    const missing = runIds(0, delivered).filter((id) => !destination.acked.has(id));
    if (missing.length > 0) violations.push(`checkpoint at ${delivered}, ${missing[0]} not acked`);
  };
  const follower = opened.follower = await Follower.open({
    name: "db",
    log: { dir, base: "observer" },
    destination,
    logger,
    chunkBytes: 64 * 1024,
    backoff: { firstMs: 1, maxMs: 2 },
    onChange: check,
  });
  const done = follower.run();
  follower.finish();

  // Two batches handed over at once; the second acknowledged first: nothing is committed.
  await destination.calledTimes(2);
  assert.equal(destination.calls.length, 2, "no third batch while two are in flight");
  destination.ack(1);
  // The first fails: both go again, in order, once both settled.
  destination.fail(0);
  await destination.calledTimes(4);
  assert.deepEqual(destination.calls[2].ids, destination.calls[0].ids);
  assert.deepEqual(destination.calls[3].ids, destination.calls[1].ids);
  assert.equal(follower.stats().deliveredTotal, 0);
  // The re-sent second one acknowledged before the first: still nothing committed.
  destination.ack(3);
  assert.equal(follower.stats().deliveredTotal, 0);
  destination.ack(2);
  destination.auto();
  await done;
  await follower.close();

  assert.deepEqual(violations, []);
  assert.equal(destination.mostInFlight, 2);
  assert.equal(follower.stats().state, "finished");
  assert.equal(follower.stats().deliveredTotal, 3000);
  // Every record was handed over in log order (batches re-sent whole), none skipped.
  const firstSeen = [...new Set(destination.calls.flatMap((call) => call.ids))];
  assert.deepEqual(firstSeen, runIds(0, 3000));
  assert.deepEqual(new Set(destination.acked), new Set(runIds(0, 3000)));
  const saved = await readCheckpoint(checkpointPath(dir, "observer", "db"), "observer");
  assert.equal(saved?.delivered, 3000);
  assert.equal(saved?.records, 3000);
});

Deno.test("follower with two batches in flight, stopped while they are out: it waits for them, commits those acknowledged in order, and the next run resumes after the last of those", async () => {
  const dir = await tempDir("follow-pipeline");
  await Deno.writeTextFile(join(dir, "observer.jsonl"), recordLines(0, 3000));
  const destination = new ManualDestination();
  const follower = await Follower.open({
    name: "db",
    log: { dir, base: "observer" },
    destination,
    logger,
    chunkBytes: 64 * 1024,
  });
  void follower.run();
  await destination.calledTimes(2);
  const stopped = follower.stop();
  destination.ack(0);
  destination.fail(1);
  await stopped;
  await follower.close();
  const firstBatch = destination.calls[0].ids.length;
  assert.equal(follower.stats().deliveredTotal, firstBatch);

  const again = new ManualDestination();
  again.auto();
  const resumed = await Follower.open({
    name: "db",
    log: { dir, base: "observer" },
    destination: again,
    logger,
    chunkBytes: 64 * 1024,
  });
  resumed.finish();
  await resumed.run();
  await resumed.close();
  assert.deepEqual([...again.acked], runIds(firstBatch, 3000));
});
