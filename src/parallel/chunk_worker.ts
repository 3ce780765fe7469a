/**
 * The worker of parallel recording (a Deno Web Worker, started by `ChunkWorkers` with the
 * process's own permissions, nothing more): splits each chunk it is sent into lines and judges
 * them ({@linkcode judgeChunk}), and posts the verdict back with the encoded records
 * transferred, not copied.
 *
 * @module
 */

import { splitLines } from "../io/line_reader.ts";
import { SnapshotJudge } from "../observer/snapshot_judge.ts";
import { judgeChunk } from "./chunk_judge.ts";
import type { WorkerReply, WorkerRequest } from "./worker_messages.ts";

/** The worker side of `postMessage`. */
interface WorkerScope {
  onmessage: ((event: MessageEvent<WorkerRequest>) => void) | null;
  postMessage(message: WorkerReply, transfer?: Transferable[]): void;
}

const scope = globalThis as unknown as WorkerScope;
let judge: SnapshotJudge | undefined;

scope.onmessage = async (event) => {
  const request = event.data;
  if (request.type === "init") {
    judge = new SnapshotJudge(request.settings);
    return;
  }
  try {
    if (judge === undefined) throw new Error("chunk worker: expected an init message first");
    const lines = splitLines(request.bytes, request.piece);
    const verdict = await judgeChunk(lines, request.input, judge);
    scope.postMessage({ type: "verdict", seq: request.seq, verdict }, [
      verdict.encoded.buffer as ArrayBuffer,
    ]);
  } catch (error) {
    scope.postMessage({
      type: "error",
      seq: request.seq,
      message: error instanceof Error ? error.stack ?? error.message : String(error),
    });
  }
};
