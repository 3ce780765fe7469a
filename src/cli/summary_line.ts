/**
 * The summary line both entry scripts print last: what a person reads after a run.
 *
 * @module
 */

import {
  blockedCount,
  droppedCount,
  followersBehind,
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
  if (single && notWrittenCount(summary) > 0 && sinks[0].failure !== undefined) {
    parts.push(`not_written_reason=${JSON.stringify(sinks[0].failure)}`);
  }
  if ((summary.redelivered ?? 0) > 0) parts.push(`redelivered=${summary.redelivered}`);
  if ((summary.observer.nonNumeric ?? 0) > 0) {
    parts.push(`non_numeric=${summary.observer.nonNumeric}`);
  }
  if (summary.interrupted) parts.push("interrupted=true");
  if (single) parts.push(`file=${sinks[0].path}`);
  if (summary.log !== undefined) parts.push(`log=${summary.log.path}`);
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
  const follower = sink.follower;
  if (follower !== undefined) {
    parts.push(
      `state=${follower.state}`,
      `behind=${follower.lag.records ?? "?"}`,
      `behind_bytes=${follower.lag.bytes}`,
    );
    if (follower.lastError !== undefined) {
      parts.push(`last_error=${JSON.stringify(printable(follower.lastError, 200))}`);
    }
  }
  return `sink ${printable(sink.name)}: ${parts.join(" ")}`;
}

/**
 * The warning for records written with a value that is not a number where one is expected (the
 * `NON_NUMERIC_INPUT` quality flag); empty when there is none.
 *
 * @example
 * ```ts
 * import { formatQualityWarnings } from "./summary_line.ts";
 * import type { RunSummary } from "../app/run_summary.ts";
 * declare const summary: RunSummary;
 * formatQualityWarnings(summary);
 * // => "warning: 3 records have a value that is not a number in inputs.price, volume, ..."
 * ```
 */
export function formatQualityWarnings(summary: RunSummary): string {
  const n = summary.observer.nonNumeric ?? 0;
  if (n === 0) return "";
  return `warning: ${n} record${n === 1 ? " has" : "s have"} a value that is not a number ` +
    '(e.g. a string such as "71000.0") in inputs.price, volume, open, high, low, close, bid ' +
    "or ask; recorded as sent, with the quality flag NON_NUMERIC_INPUT " +
    "(metadata._quality.flags; see observer.ts inspect)\n";
}

/**
 * What to tell a user whose run ended with followers behind the log: how far behind each is, and
 * the command that delivers the rest (`followCommand`, e.g. `deno task observer follow --config
 * fan.jsonc`). Empty when every follower delivered the whole log.
 *
 * @example
 * ```ts
 * import { formatFollowersBehind } from "./summary_line.ts";
 * import type { RunSummary } from "../app/run_summary.ts";
 * declare const summary: RunSummary;
 * formatFollowersBehind(summary, "deno task observer follow --config fan.jsonc");
 * // => "error: follower db stopped 120 records (64000 bytes) behind the log ... run: deno task observer follow --config fan.jsonc"
 * ```
 */
export function formatFollowersBehind(summary: RunSummary, followCommand: string): string {
  const behind = followersBehind(summary);
  if (behind.length === 0) return "";
  const lines = behind.map((f) =>
    `error: follower ${printable(f.name)} stopped ${
      f.lag.records ?? "?"
    } records (${f.lag.bytes} ` +
    `bytes) behind the log, ${f.state}` +
    (f.lastError === undefined ? "" : ` (last error: ${printable(f.lastError, 200)})`) +
    `; its checkpoint keeps the place (${f.checkpoint})`
  );
  lines.push(`to deliver the rest: ${followCommand}`);
  return lines.join("\n") + "\n";
}
