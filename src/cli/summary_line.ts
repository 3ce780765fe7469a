/**
 * The summary line both entry scripts print last: what a person reads after a run.
 *
 * @module
 */

import { blockedCount, type RunSummary } from "../app/run_summary.ts";

/**
 * One line: records written, blocked, rejected, dropped, not written (and why), the file.
 *
 * @example
 * ```ts
 * import { formatSummary } from "./summary_line.ts";
 * import type { RunSummary } from "../app/run_summary.ts";
 * declare const summary: RunSummary;
 * formatSummary(summary);
 * // => "summary: written=40 blocked=0 rejected=0 dropped=0 not_written=0 file=/srv/qts/data/observer/observer.jsonl"
 * ```
 */
export function formatSummary(summary: RunSummary): string {
  const parts = [
    `written=${summary.sink.written}`,
    `blocked=${blockedCount(summary)}`,
    `rejected=${summary.rejected}`,
    `dropped=${summary.sink.dropped}`,
    `not_written=${summary.sink.failed}`,
  ];
  if (summary.sink.failed > 0 && summary.sink.failure !== undefined) {
    parts.push(`not_written_reason=${JSON.stringify(summary.sink.failure)}`);
  }
  if (summary.interrupted) parts.push("interrupted=true");
  parts.push(`file=${summary.sink.path}`);
  const letters = summary.deadLetters;
  if (letters.entries > 0) {
    parts.push(`dead_letters=${letters.entries - letters.failed}`);
    if (letters.path !== undefined) parts.push(`dead_letter_file=${letters.path}`);
    if (letters.failed > 0) parts.push(`dead_letters_not_written=${letters.failed}`);
  }
  return `summary: ${parts.join(" ")}`;
}
