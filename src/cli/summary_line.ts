/**
 * The summary line both entry scripts print last: what a person reads after a run.
 *
 * @module
 */

import {
  blockedCount,
  droppedCount,
  notWrittenCount,
  type RunSummary,
  type SinkSummary,
} from "../app/run_summary.ts";
import { printable } from "../io/printable.ts";

/**
 * The summary: one line when the run wrote one record file with no filter or sampling (as
 * always), else a first line with the totals and one line per sink.
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
  const sinks = summary.sinks;
  const single = sinks.length === 1 && sinks[0].type === "jsonl" && !sinks[0].selective;
  const parts = single
    ? [`written=${sinks[0].written}`]
    : [`records=${summary.observer.dispatched}`, `sinks=${sinks.length}`];
  parts.push(
    `blocked=${blockedCount(summary)}`,
    `rejected=${summary.rejected}`,
    `dropped=${droppedCount(summary)}`,
    `not_written=${notWrittenCount(summary)}`,
  );
  if (single && sinks[0].failed > 0 && sinks[0].failure !== undefined) {
    parts.push(`not_written_reason=${JSON.stringify(sinks[0].failure)}`);
  }
  if (summary.interrupted) parts.push("interrupted=true");
  if (single) parts.push(`file=${sinks[0].path}`);
  const letters = summary.deadLetters;
  if (letters.entries > 0) {
    parts.push(`dead_letters=${letters.entries - letters.failed}`);
    if (letters.path !== undefined) parts.push(`dead_letter_file=${letters.path}`);
    if (letters.failed > 0) parts.push(`dead_letters_not_written=${letters.failed}`);
  }
  const lines = [`summary: ${parts.join(" ")}`];
  if (!single) lines.push(...sinks.map(formatSinkLine));
  return lines.join("\n");
}

/**
 * One sink's line of a many-sink summary.
 *
 * @example
 * ```ts
 * import { formatSinkLine } from "./summary_line.ts";
 * import type { SinkSummary } from "../app/run_summary.ts";
 * declare const sink: SinkSummary;
 * formatSinkLine(sink);
 * // => "sink review: type=jsonl written=3 filtered=97 sampled=0 dropped=0 not_written=0 file=..."
 * ```
 */
export function formatSinkLine(sink: SinkSummary): string {
  const parts = [
    `type=${sink.type}`,
    `written=${sink.written}`,
    `filtered=${sink.filtered}`,
    `sampled=${sink.sampled}`,
    `dropped=${sink.dropped}`,
    `not_written=${sink.failed}`,
  ];
  if (sink.failed > 0 && sink.failure !== undefined) {
    parts.push(`not_written_reason=${JSON.stringify(sink.failure)}`);
  }
  if (sink.path !== undefined) parts.push(`file=${sink.path}`);
  return `sink ${printable(sink.name)}: ${parts.join(" ")}`;
}
