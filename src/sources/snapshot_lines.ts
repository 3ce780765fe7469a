/**
 * Snapshot lines: JSON lines (as Python producers write them) turned into snapshots, or into
 * precise rejections that name the line and the reason.
 *
 * @module
 */

import { formatFieldIssues } from "../contract/field_issue.ts";
import { type ObservationSnapshot, parseSnapshot } from "../contract/snapshot.ts";
import { isBlankLine, type TextLine } from "../io/line_reader.ts";
import { parseInputJson } from "../contract/input_json.ts";
import { errorMessage } from "../io/error_message.ts";

/**
 * One input line, judged. `source` is the line as read (for a dead-letter file); `format`, on a
 * line read back from a dead-letter file, is the format its text came in.
 */
export type SnapshotLine =
  | {
    readonly ok: true;
    readonly line: number;
    readonly snapshot: ObservationSnapshot;
    readonly source: TextLine;
    readonly format?: "snapshots" | "records" | "kis-swing";
  }
  | {
    readonly ok: false;
    readonly line: number;
    readonly reason: string;
    readonly source: TextLine;
    readonly format?: "snapshots" | "records" | "kis-swing";
  };

/**
 * A rejection of `source` for `reason`.
 *
 * @example
 * ```ts
 * import { rejectedLine } from "./snapshot_lines.ts";
 * rejectedLine({ text: "x", number: 4, terminated: true }, "not valid JSON");
 * // => { ok: false, line: 4, reason: "not valid JSON", source: { text: "x", ... } }
 * ```
 */
export function rejectedLine(source: TextLine, reason: string): SnapshotLine {
  return { ok: false, line: source.number, reason, source };
}

/**
 * Parses one line into a snapshot or a rejection reason (not JSON, not an object, not shaped
 * like a snapshot). Blank lines give `undefined`.
 *
 * @example
 * ```ts
 * parseSnapshotLine({ text: "[1]", number: 3, terminated: true });
 * // => { ok: false, line: 3, reason: "(snapshot): expected a JSON object, got [1] (array)" }
 * ```
 */
export function parseSnapshotLine(line: TextLine): SnapshotLine | undefined {
  if (isBlankLine(line)) return undefined;
  if (line.problem !== undefined) return rejectedLine(line, line.problem);
  let value: unknown;
  try {
    value = parseInputJson(line.text);
  } catch (error) {
    const detail = errorMessage(error);
    const torn = line.terminated ? "" : " (last line has no newline: truncated?)";
    return rejectedLine(line, `not valid JSON: ${detail}${torn}`);
  }
  const parsed = parseSnapshot(value);
  if (!parsed.ok) {
    return rejectedLine(line, formatFieldIssues(parsed.issues));
  }
  return { ok: true, line: line.number, snapshot: parsed.snapshot, source: line };
}

/**
 * Judges every line of a line stream; see {@linkcode parseSnapshotLine}.
 */
export async function* snapshotLines(
  lines: AsyncIterable<TextLine>,
): AsyncGenerator<SnapshotLine> {
  for await (const line of lines) {
    const judged = parseSnapshotLine(line);
    if (judged !== undefined) yield judged;
  }
}
