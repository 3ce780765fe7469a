/**
 * One record as a catalog row: the fields a researcher reads without parsing JSON, pulled out
 * of a parsed PatternRecord, and the rest kept as exact JSON text beside the record's line.
 *
 * @module
 */

import { parseEventTime } from "../contract/event_time.ts";
import { isPlainObject, numericValue } from "../contract/json_value.ts";
import type { PatternRecord } from "../contract/pattern_record.ts";

/** The market inputs the catalog keeps as numbers (null where absent or not a number). */
export interface MarketValues {
  /** `inputs.price`, or `inputs.price.close` when price is an OHLC object. */
  readonly price: number | null;
  /** `inputs.open`, or `inputs.price.open`. */
  readonly open: number | null;
  /** `inputs.high`, or `inputs.price.high`. */
  readonly high: number | null;
  /** `inputs.low`, or `inputs.price.low`. */
  readonly low: number | null;
  /** `inputs.close`, or `inputs.price.close`. */
  readonly close: number | null;
  /** `inputs.volume`. */
  readonly volume: number | null;
  /** `inputs.bid`, or `inputs.bid_price`. */
  readonly bid: number | null;
  /** `inputs.ask`, or `inputs.ask_price`. */
  readonly ask: number | null;
}

function num(value: unknown): number | null {
  const n = numericValue(value);
  return n === undefined || !Number.isFinite(n) ? null : n;
}

function first(...values: unknown[]): number | null {
  for (const value of values) {
    const n = num(value);
    if (n !== null) return n;
  }
  return null;
}

/**
 * The market values of a record's inputs. Flat inputs (`price, open, ..., bid, ask`, as the
 * simulated market and a replayed KIS archive write them) and a raw KIS line's nested
 * `price: {open, high, low, close}` with `bid_price`/`ask_price` are both understood.
 *
 * @example
 * ```ts
 * import { marketValues } from "./catalog_row.ts";
 * marketValues({ price: { open: 1, high: 3, low: 1, close: 2 }, volume: 10 }).price; // => 2
 * marketValues({ price: 71000, bid: null }).bid; // => null
 * ```
 */
export function marketValues(inputs: Record<string, unknown>): MarketValues {
  const nested = isPlainObject(inputs.price) ? inputs.price : undefined;
  return {
    price: first(inputs.price, nested?.close),
    open: first(inputs.open, nested?.open),
    high: first(inputs.high, nested?.high),
    low: first(inputs.low, nested?.low),
    close: first(inputs.close, nested?.close),
    volume: num(inputs.volume),
    bid: first(inputs.bid, inputs.bid_price),
    ask: first(inputs.ask, inputs.ask_price),
  };
}

/**
 * A row as it is staged before the Parquet write: plain JavaScript values in the order of
 * {@linkcode STAGING_COLUMNS}.
 */
export type StagingRow = (string | number | null)[];

/**
 * The staging table's columns (DuckDB types), in {@linkcode StagingRow} order. The write turns
 * `timestamp_ms` into `event_time`/`BIGINT` and the `*_list` JSON texts into lists.
 */
export const STAGING_COLUMNS: readonly (readonly [string, string])[] = [
  ["timestamp_ms", "DOUBLE"],
  ["run_id", "VARCHAR"],
  ["session_id", "VARCHAR"],
  ["mode", "VARCHAR"],
  ["source", "VARCHAR"],
  ["stage", "VARCHAR"],
  ["symbol", "VARCHAR"],
  ["market", "VARCHAR"],
  ["guard_action", "VARCHAR"],
  ["guard_reason", "VARCHAR"],
  ["price", "DOUBLE"],
  ["open", "DOUBLE"],
  ["high", "DOUBLE"],
  ["low", "DOUBLE"],
  ["close", "DOUBLE"],
  ["volume", "DOUBLE"],
  ["bid", "DOUBLE"],
  ["ask", "DOUBLE"],
  ["quality_flags_list", "VARCHAR"],
  ["hints_list", "VARCHAR"],
  ["inputs_json", "VARCHAR"],
  ["computed_json", "VARCHAR"],
  ["state_json", "VARCHAR"],
  ["record_line", "VARCHAR"],
  ["source_file", "VARCHAR"],
  ["source_line", "DOUBLE"],
];

function text(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

function stringList(value: unknown): string | null {
  return Array.isArray(value) && value.every((v) => typeof v === "string")
    ? JSON.stringify(value)
    : null;
}

/**
 * The event time of a record in epoch ms: `meta.timestamp_ms`, else `meta.timestamp` parsed;
 * `undefined` when it has neither (such a record cannot be placed in a date partition).
 *
 * @example
 * ```ts
 * import { recordEventMs } from "./catalog_row.ts";
 * import type { PatternRecord } from "../contract/pattern_record.ts";
 * declare const record: PatternRecord;
 * recordEventMs(record); // e.g. 1769397500080
 * ```
 */
export function recordEventMs(record: PatternRecord): number | undefined {
  const meta = record.snapshot.meta as unknown as Record<string, unknown>;
  if (typeof meta.timestamp_ms === "number") return meta.timestamp_ms;
  return typeof meta.timestamp === "string" ? parseEventTime(meta.timestamp) : undefined;
}

/**
 * The staging row of one record read from `sourceFile` at `sourceLine`, whose exact text is
 * `line`; `undefined` when the record has no event time (see {@linkcode recordEventMs}).
 * `inputs`, `computed` and `state` become compact JSON text with every number as it was
 * written (the reader keeps number texts such as `751000.0` or `9007199254740993`).
 *
 * @example
 * ```ts
 * import { stagingRow } from "./catalog_row.ts";
 * import type { PatternRecord } from "../contract/pattern_record.ts";
 * declare const record: PatternRecord;
 * declare const line: string;
 * stagingRow(record, line, "data/observer/observer.jsonl", 1)?.[1]; // the run_id
 * ```
 */
export function stagingRow(
  record: PatternRecord,
  line: string,
  sourceFile: string,
  sourceLine: number,
): StagingRow | undefined {
  const ms = recordEventMs(record);
  if (ms === undefined) return undefined;
  const { meta, context, observation } = record.snapshot;
  const inputs = isPlainObject(observation.inputs) ? observation.inputs : {};
  const m = marketValues(inputs);
  const metadata = record.metadata as unknown as Record<string, unknown>;
  const guard = isPlainObject(metadata.guard) ? metadata.guard : {};
  const quality = isPlainObject(metadata._quality) ? metadata._quality : {};
  const interpretation = isPlainObject(metadata._interpretation) ? metadata._interpretation : {};
  return [
    ms,
    text(meta.run_id),
    text(meta.session_id),
    text(meta.mode),
    text(context.source),
    text(context.stage),
    text(context.symbol),
    text(context.market),
    text(guard.action),
    text(guard.reason),
    m.price,
    m.open,
    m.high,
    m.low,
    m.close,
    m.volume,
    m.bid,
    m.ask,
    stringList(quality.flags),
    stringList(interpretation.hints),
    jsonText(observation.inputs),
    jsonText(observation.computed),
    jsonText(observation.state),
    line,
    sourceFile,
    sourceLine,
  ];
}

function jsonText(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}
