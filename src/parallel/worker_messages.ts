/**
 * The messages between parallel recording's main thread and its workers. Buffers go both ways
 * by transfer, never by copy: a chunk's input buffer goes to a worker and comes back with the
 * verdict, to be read into again; a spare output buffer (one the sink has let go of) may ride
 * along with a chunk, and the worker encodes a later chunk's records into it.
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
    /** Whole lines, at the start of their buffer (transferred, and sent back with the verdict). */
    readonly bytes: Uint8Array;
    /** Where the chunk sits in the input and the line limit. */
    readonly piece: LinePiece;
    /** The input's name, format and mode. */
    readonly input: ChunkInput;
    /** A buffer to encode records into, whole (transferred; the worker keeps it for reuse). */
    readonly spare?: Uint8Array;
  };

/** Worker → main thread: a chunk's verdict, or why it could not be judged. */
export type WorkerReply =
  | {
    readonly type: "verdict";
    readonly seq: number;
    /** Its `encoded` is a view at the start of a buffer of the worker's (transferred). */
    readonly verdict: ChunkVerdict;
    /** The chunk's input buffer, whole, given back (transferred). */
    readonly input: Uint8Array;
  }
  | { readonly type: "error"; readonly seq: number; readonly message: string };
