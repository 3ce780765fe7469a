/**
 * How query answers are printed: a table (cli-table3), JSON (an array of objects) or CSV
 * (RFC 4180). Big integers that a JSON number cannot hold exactly are written as strings;
 * timestamps as ISO-8601 UTC.
 *
 * @module
 */

import Table from "cli-table3";
import { printable } from "../io/printable.ts";
import type { QueryResult } from "./catalog_query.ts";

/** The output formats of `query` and `catalog gaps`. */
export type QueryFormat = "table" | "json" | "csv";

/**
 * A query value as a JSON value: a bigint becomes a number when it is a safe integer, else its
 * decimal text; a Date its ISO text; lists and structs recursively.
 *
 * @example
 * ```ts
 * import { jsonValue } from "./query_output.ts";
 * jsonValue(12n); // => 12
 * jsonValue(2n ** 60n); // => "1152921504606846976"
 * jsonValue(new Date(0), "DATE"); // => "1970-01-01"
 * ```
 */
export function jsonValue(value: unknown, type?: string): unknown {
  if (value instanceof Date && type === "DATE") return value.toISOString().slice(0, 10);
  if (typeof value === "bigint") {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v) => jsonValue(v));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonValue(v)]));
  }
  return value;
}

/**
 * A query value as text for a table cell or CSV field (null: empty).
 *
 * @example
 * ```ts
 * import { textValue } from "./query_output.ts";
 * textValue(["HAS_PRICE"]); // => '["HAS_PRICE"]'
 * textValue(null); // => ""
 * ```
 */
export function textValue(value: unknown, type?: string): string {
  const v = jsonValue(value, type);
  if (v === null || v === undefined) return "";
  return typeof v === "string" ? v : JSON.stringify(v);
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * The answer in `format`, ending with a newline.
 *
 * @example
 * ```ts
 * import { formatQueryResult } from "./query_output.ts";
 * formatQueryResult({ columns: ["n"], types: ["BIGINT"], rows: [[3n]] }, "csv"); // => "n\n3\n"
 * ```
 */
export function formatQueryResult(result: QueryResult, format: QueryFormat): string {
  if (format === "json") {
    const objects = result.rows.map((row) =>
      Object.fromEntries(result.columns.map((c, i) => [c, jsonValue(row[i], result.types[i])]))
    );
    return JSON.stringify(objects, null, 2) + "\n";
  }
  if (format === "csv") {
    const lines = [result.columns.map(csvField).join(",")];
    for (const row of result.rows) {
      lines.push(row.map((v, i) => csvField(textValue(v, result.types[i]))).join(","));
    }
    return lines.join("\n") + "\n";
  }
  const table = new Table({
    head: result.columns.map((c) => printable(c)),
    style: { head: [], border: [] },
    chars: { "mid": "", "left-mid": "", "mid-mid": "", "right-mid": "" },
  });
  for (const row of result.rows) {
    table.push(row.map((v, i) => printable(textValue(v, result.types[i]), 200)));
  }
  const n = result.rows.length;
  return `${table.toString()}\n${n} ${n === 1 ? "row" : "rows"}\n`;
}
