/**
 * Human-readable rendering of an {@linkcode InspectReport}: a few tables (cli-table3).
 *
 * @module
 */

import Table from "cli-table3";
import { printable } from "../io/printable.ts";
import type { Counts, InspectReport } from "./inspect.ts";

/** Compact tables: no rule between rows. */
const STYLE = {
  style: { head: [], border: [] },
  chars: { "mid": "", "left-mid": "", "mid-mid": "", "right-mid": "" },
};

/** How many rows a count table shows before summing up the rest. */
export const MAX_ROWS = 15;

function countTable(title: string, counts: Counts, total: number, unit = "records"): string {
  const rows = Object.entries(counts).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const table = new Table({ head: [title, unit, "%"], ...STYLE });
  for (const [key, n] of rows.slice(0, MAX_ROWS)) {
    table.push([printable(key), String(n), total > 0 ? (n / total * 100).toFixed(1) : "-"]);
  }
  if (rows.length > MAX_ROWS) {
    const rest = rows.slice(MAX_ROWS).reduce((sum, [, n]) => sum + n, 0);
    table.push([`… ${rows.length - MAX_ROWS} more`, String(rest), (rest / total * 100).toFixed(1)]);
  }
  return table.toString();
}

/**
 * The report as text tables: files, time range and counts by symbol, source, stage, guard
 * action, quality flag and schema version; for dead-letter files, their entries by kind, reason
 * and input; then the first bad lines.
 *
 * @example
 * ```ts
 * import { formatInspectReport } from "./inspect_table.ts";
 * import { inspectRecordFiles } from "./inspect.ts";
 * declare const paths: string[];
 * console.log(formatInspectReport(await inspectRecordFiles(paths)));
 * ```
 */
export function formatInspectReport(report: InspectReport): string {
  const letters = report.files.some((f) => f.kind === "dead-letter");
  const files = new Table({
    head: ["file", "records", ...(letters ? ["dead letters"] : []), "bad lines", "torn tail"],
    ...STYLE,
  });
  for (const f of report.files) {
    files.push([
      printable(f.file),
      String(f.records),
      ...(letters ? [String(f.deadLetters)] : []),
      String(f.badLines),
      f.tornTail ? "yes" : "no",
    ]);
  }
  const parts = [
    files.toString(),
    `records: ${report.records}   bad lines: ${report.badLines}   sessions: ${
      Object.keys(report.bySession).length
    }`,
    `events: ${report.firstEvent ?? "-"} … ${report.lastEvent ?? "-"}`,
    countTable("symbol", report.bySymbol, report.records),
    countTable("source", report.bySource, report.records),
    countTable("stage", report.byStage, report.records),
    countTable("guard action", report.guardActions, report.records),
    countTable("quality flag", report.qualityFlags, report.records),
    countTable("schema version", report.schemaVersions, report.records),
  ];
  if (letters) {
    const { entries, byKind, byReason, byInput } = report.deadLetters;
    parts.push(
      `dead-letter entries: ${entries} (lines rejected or snapshots blocked, kept with their ` +
        "reasons; replay reads them back)",
      countTable("dead-letter kind", byKind, entries, "entries"),
      countTable("dead-letter reason", byReason, entries, "entries"),
      countTable("dead-letter input", byInput, entries, "entries"),
    );
  }
  if (report.badLineSamples.length > 0) {
    parts.push(
      "bad lines:\n" +
        report.badLineSamples.map((b) => `  ${printable(`${b.file}:${b.line}: ${b.reason}`, 2000)}`)
          .join("\n"),
    );
  }
  for (const f of report.files) {
    if (f.tornTail) parts.push(printable(`${f.file}:${f.tornTailLine}: ${f.tornTail}`, 2000));
  }
  return parts.join("\n\n");
}
