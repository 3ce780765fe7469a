/**
 * The messages between parallel recording's main thread and its workers.
 *
 * @module
 */

import type { LinePiece } from "../io/line_reader.ts";
import type { JudgeSettings } from "../observer/snapshot_judge.ts";
import type { ChunkInput, ChunkVerdict } from "./chunk_judge.ts";

/** Main thread → worker: how to judge (once), then chunks to judge. */
export type WorkerRequest =
  | { readonly type: "init"; readonly settings: JudgeSettings }
  | {
    readonly type: "chunk";
    /** The chunk's place in the input (replies may come back in any order). */
    readonly seq: number;
    /** Whole lines (transferred). */
    readonly bytes: Uint8Array;
    /** Where the chunk sits in the input and the line limit. */
    readonly piece: LinePiece;
    /** The input's name, format and mode. */
    readonly input: ChunkInput;
  };

/** Worker → main thread: a chunk's verdict, or why it could not be judged. */
export type WorkerReply =
  | { readonly type: "verdict"; readonly seq: number; readonly verdict: ChunkVerdict }
  | { readonly type: "error"; readonly seq: number; readonly message: string };
