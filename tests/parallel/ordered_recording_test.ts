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
  return {
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
        if (queue.length === 0 && !ended) await new Promise<void>((r) => wake = r);
        if (queue.length === 0) return;
        yield queue.shift()!;
      }
    },
  };
}

Deno.test("recording chunks in parallel: a sink that fails while the source waits for its next message ends the run at once with the sink's error, nothing acked", async () => {
  const source = quietSource();
  const target = {
    workers: 2,
    judge: {},
    observer: { tally() {} },
    sink: {
      writeEncoded() {
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
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"still waiting">((resolve) => {
    timer = setTimeout(() => resolve("still waiting"), 3000);
  });
  const outcome = await Promise.race([run.then(() => "resolved", (e) => e.message), late]);
  clearTimeout(timer);
  assert.equal(outcome, "disk gone");
  assert.deepEqual(acked, []);
  source.end(); // the source's owner stops it (consume stops its messages)
});
