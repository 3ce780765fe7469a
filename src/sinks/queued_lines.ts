/**
 * What a record file sink's queue holds: the JSON text of a record (with the rotation window it
 * was accepted in, when rotating by time), or whole lines encoded elsewhere.
 *
 * @module
 */

import { lineBytes } from "./json_lines.ts";

/**
 * Whole JSON lines serialized and encoded elsewhere (by parallel recording's workers): `count`
 * records in `bytes`, each line ending in `\n`.
 */
export interface EncodedLines {
  /** UTF-8 bytes of the lines, each ending in `\n`. */
  readonly bytes: Uint8Array;
  /** How many lines (records) they hold. */
  readonly count: number;
  /**
   * Called once the sink no longer holds `bytes` (written, dropped or given up on): their
   * buffer may then be reused. Not called when `writeEncoded` throws (nothing was taken).
   */
  readonly release?: () => void;
}

/** A queued line with the rotation window it was accepted in (time rotation only). */
export interface WindowedLine {
  readonly line: string;
  readonly window: number;
}

/** Encoded lines in the queue, with the window they were accepted in (0 without time rotation). */
export interface QueuedEncoded {
  readonly encoded: Uint8Array;
  readonly count: number;
  readonly window: number;
  readonly release?: () => void;
}

/**
 * What the queue holds: the JSON text of a record, with its window when rotating by time, or
 * lines encoded elsewhere.
 */
export type QueuedLine = string | WindowedLine | QueuedEncoded;

/** Whether `item` holds lines encoded elsewhere. */
export const isEncoded = (item: QueuedLine): item is QueuedEncoded =>
  typeof item !== "string" && "encoded" in item;

/** The JSON text of a queued record. */
export const lineOf = (item: string | WindowedLine): string =>
  typeof item === "string" ? item : item.line;

/** UTF-8 bytes of a queued item, newlines included. */
export const queuedLineBytes = (item: QueuedLine): number =>
  typeof item === "string"
    ? lineBytes(item)
    : isEncoded(item)
    ? item.encoded.length
    : lineBytes(item.line);

/** Records in a queued item. */
export const queuedRecords = (item: QueuedLine): number =>
  typeof item === "string" || !isEncoded(item) ? 1 : item.count;
