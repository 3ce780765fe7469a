/**
 * The catalog's parse worker (a Deno Web Worker started by `ParseWorkers`, with the process's own
 * permissions, nothing more): turns each chunk of whole lines it is sent into staging rows
 * ({@linkcode chunkRows}) and posts them back by columns.
 *
 * @module
 */

import { chunkRows } from "./chunk_rows.ts";
import type { ParseReply, ParseRequest } from "./parse_workers.ts";
import { errorDetail } from "../io/error_message.ts";

/** The worker side of `postMessage`. */
interface WorkerScope {
  onmessage: ((event: MessageEvent<ParseRequest>) => void) | null;
  postMessage(message: ParseReply): void;
}

const scope = globalThis as unknown as WorkerScope;

scope.onmessage = async (event) => {
  const { seq, bytes, piece } = event.data;
  try {
    scope.postMessage({ seq, rows: await chunkRows(bytes, piece) });
  } catch (error) {
    const message = errorDetail(error);
    scope.postMessage({ seq, error: message });
  }
};
