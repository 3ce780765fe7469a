/**
 * A log's text for follower tests: the synthetic records `from` to `to` (exclusive), one a line,
 * and the run ids they carry.
 *
 * @module
 */

import { recordLine } from "./snapshot_file.ts";

/** The lines of records `from` to `to` (exclusive), each ending in `\n`. */
export function recordLines(from: number, to: number): string {
  let text = "";
  for (let i = from; i < to; i++) text += recordLine(i) + "\n";
  return text;
}

/** The run ids of records `from` to `to` (exclusive): `r<from>` … */
export const runIds = (from: number, to: number): string[] =>
  Array.from({ length: to - from }, (_, i) => `r${from + i}`);
