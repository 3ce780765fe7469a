import assert from "node:assert/strict";
import { ChunkBuffers } from "../../src/parallel/chunk_buffers.ts";
import { ChunkWorkers } from "../../src/parallel/chunk_workers.ts";
import { messageChunks } from "../../src/parallel/message_chunks.ts";
import {
  type ParallelTarget,
  recordChunksInParallel,
} from "../../src/parallel/ordered_recording.ts";
import { snapshotLine } from "../helpers/snapshot_file.ts";

const encoder = new TextEncoder();

/** A source like a NATS consumer's iterator: yields what is pushed, waits when none is. */
function quietSource() {
  const queue: number[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  let parked = false;
  return {
    /** True while the consumer waits for a message that has not come. */
    get parked() {
      return parked;
    },
    push(n: number) {
      queue.push(n);
      wake?.();
    },
    end() {
      ended = true;
      wake?.();
    },
    async *messages() {
      while (true) {
        if (queue.length === 0 && !ended) {
          parked = true;
          await new Promise<void>((r) => wake = r);
          parked = false;
        }
        if (queue.length === 0) return;
        yield queue.shift()!;
      }
    },
  };
}

/**
 * Settles as `promise` does. Nothing is timed here: the bound only turns a hang (workers that
 * never start, a run that waits for the source) into a failure that says what was waited for.
 */
async function unlessHung<T>(promise: Promise<T>, what: string, ms = 60_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`still waiting after ${ms / 1000} s for ${what}`)),
      ms,
    );
  });
  try {
    return await Promise.race([promise, hung]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("recording chunks in parallel: a sink that fails while the source waits for its next message ends the run at once with the sink's error, nothing acked", async () => {
  const source = quietSource();
  let sinkFailed = false;
  const target = {
    workers: 2,
    judge: {},
    observer: { tally() {} },
    sink: {
      writeEncoded() {
        sinkFailed = true;
        throw new Error("disk gone");
      },
    },
  } as unknown as ParallelTarget;
  await using workers = new ChunkWorkers(2, {});
  const buffers = new ChunkBuffers(6, 64 * 1024);
  const acked: number[] = [];
  const chunks = messageChunks(source.messages(), (n: number) => ({
    data: encoder.encode(snapshotLine(n)),
    number: n,
    handle: n,
  }), { buffers, chunkBytes: 64 * 1024, onWritten: (h) => acked.push(...h) });
  const run = recordChunksInParallel(workers, target, "nats:T", chunks, {
    format: "snapshots",
    buffers,
  });
  source.push(1);
  source.push(2);
  // The run must end on the sink's error alone: the source gets nothing more until it is ended
  // below, so a run that waited for its next message would never end.
  let sourceParkedAtEnd: boolean | undefined;
  const outcome = await unlessHung(
    run.then(() => "resolved", (e) => e.message).finally(() => sourceParkedAtEnd = source.parked),
    "the run to end (chunk workers starting, the sink failing, the run ending with its error)",
  );
  assert.ok(sinkFailed, "the sink was given the chunk");
  assert.equal(outcome, "disk gone");
  assert.equal(sourceParkedAtEnd, true, "ended while the source waited for its next message");
  assert.deepEqual(acked, []);
  source.end(); // the source's owner stops it (consume stops its messages)
});
