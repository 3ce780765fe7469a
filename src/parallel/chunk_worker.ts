/**
 * The worker of parallel recording (a Deno Web Worker, started by `ChunkWorkers` with the
 * process's own permissions, nothing more): splits each chunk it is sent into lines and judges
 * them ({@linkcode judgeChunk}), and posts the verdict back with the encoded records and the
 * chunk's own buffer transferred, not copied. Records are encoded into spare buffers the main
 * thread sends along (ones the sink is done with); only when it has none does it make one.
 *
 * @module
 */

import { splitLines } from "../io/line_reader.ts";
import { SnapshotJudge } from "../observer/snapshot_judge.ts";
import { judgeChunk } from "./chunk_judge.ts";
import type { WorkerReply, WorkerRequest } from "./worker_messages.ts";
import { errorDetail } from "../io/error_message.ts";

/** The worker side of `postMessage`. */
interface WorkerScope {
  onmessage: ((event: MessageEvent<WorkerRequest>) => void) | null;
  postMessage(message: WorkerReply, transfer?: Transferable[]): void;
}

const scope = globalThis as unknown as WorkerScope;
let judge: SnapshotJudge | undefined;
/** Buffers to encode into, whole (the main thread's spares, and one kept when unused). */
const spares: Uint8Array[] = [];
/** Spares kept at most (more are let go of: a worker needs one per chunk). */
const MAX_SPARES = 4;
/** Size of the largest encoded chunk so far (a new buffer is made somewhat larger). */
let largest = 0;

scope.onmessage = async (event) => {
  const request = event.data;
  if (request.type === "init") {
    judge = new SnapshotJudge(request.settings);
    return;
  }
  if (request.spare !== undefined && spares.length < MAX_SPARES) spares.push(request.spare);
  try {
    if (judge === undefined) throw new Error("chunk worker: expected an init message first");
    const lines = splitLines(request.bytes, request.piece);
    const buffer = spares.pop() ??
      new Uint8Array(Math.max(64 * 1024, largest + (largest >> 2), 2 * request.bytes.length));
    const verdict = await judgeChunk(lines, request.input, judge, buffer);
    const input = new Uint8Array(request.bytes.buffer as ArrayBuffer);
    const transfer: ArrayBuffer[] = [input.buffer];
    if (verdict.records > 0) {
      largest = Math.max(largest, verdict.encoded.length);
      transfer.push(verdict.encoded.buffer as ArrayBuffer);
    } else if (spares.length < MAX_SPARES) {
      spares.push(buffer);
    }
    scope.postMessage({ type: "verdict", seq: request.seq, verdict, input }, transfer);
  } catch (error) {
    scope.postMessage({
      type: "error",
      seq: request.seq,
      message: errorDetail(error),
    });
  }
};
