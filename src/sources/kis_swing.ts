/**
 * Real market archives written by the production QTS observer as `track_a_swing` JSONL (one
 * object per symbol and time: `ts, session, dataset, market, symbol, price{open,high,low,close},
 * volume, bid_price, ask_price, source`), turned into market snapshots.
 *
 * @module
 */

import { type FieldIssue, fieldIssue } from "../contract/field_issue.ts";
import type { JsonObject } from "../contract/json_value.ts";
import { isPlainObject } from "../contract/json_value.ts";
import { EVENT_TIME_EXPECTED, parseEventTime } from "../contract/event_time.ts";
import { buildSnapshot, DEFAULT_MODE, type ObservationSnapshot } from "../contract/snapshot.ts";

/** How archive lines become snapshots. */
export interface KisSwingOptions {
  /** `meta.mode` of every snapshot. Default {@linkcode DEFAULT_MODE}. */
  readonly mode?: string;
}

function nonEmptyString(o: Record<string, unknown>, key: string, issues: FieldIssue[]): string {
  const v = o[key];
  if (typeof v === "string" && v.length > 0) return v;
  issues.push(fieldIssue(key, "a non-empty string", v));
  return "";
}

function numberOrNull(
  o: Record<string, unknown>,
  key: string,
  path: string,
  issues: FieldIssue[],
): number | null {
  const v = o[key];
  if (v === null || typeof v === "number") return v;
  issues.push(fieldIssue(path, "a number or null", v));
  return null;
}

/**
 * Turns one parsed archive line into a `market`/`raw` snapshot, or the list of what is wrong.
 * The event time is the line's `ts` (milliseconds; the original text, with its microseconds, is
 * kept in `state.source_ts`); inputs are `price` (= close), `open`, `high`, `low`, `close`,
 * `volume`, `bid`, `ask` (nulls kept); `run_id` is `kis:<symbol>:<ts>`, so a replay is
 * deterministic.
 *
 * @example
 * ```ts
 * import { kisSwingSnapshot } from "./kis_swing.ts";
 * declare const line: string;
 * kisSwingSnapshot(JSON.parse(line)); // { ok: true, snapshot } or { ok: false, issues }
 * ```
 */
export function kisSwingSnapshot(
  value: unknown,
  options: KisSwingOptions = {},
): { ok: true; snapshot: ObservationSnapshot } | { ok: false; issues: FieldIssue[] } {
  if (!isPlainObject(value)) {
    return { ok: false, issues: [fieldIssue("(line)", "a JSON object", value)] };
  }
  const issues: FieldIssue[] = [];
  const ts = value.ts;
  const timestampMs = typeof ts === "string" ? parseEventTime(ts) : undefined;
  if (timestampMs === undefined) {
    issues.push(fieldIssue("ts", `${EVENT_TIME_EXPECTED} (e.g. ...Z)`, ts));
  }
  const session = nonEmptyString(value, "session", issues);
  const market = nonEmptyString(value, "market", issues);
  const symbol = nonEmptyString(value, "symbol", issues);
  const price = value.price;
  const ohlc: Record<string, number | null> = {};
  if (!isPlainObject(price)) {
    issues.push(fieldIssue("price", "an object {open, high, low, close}", price));
  } else {
    for (const key of ["open", "high", "low", "close"]) {
      ohlc[key] = numberOrNull(price, key, `price.${key}`, issues);
    }
  }
  const volume = numberOrNull(value, "volume", "volume", issues);
  const bid = numberOrNull(value, "bid_price", "bid_price", issues);
  const ask = numberOrNull(value, "ask_price", "ask_price", issues);
  if (issues.length > 0) return { ok: false, issues };
  const inputs: JsonObject = {
    price: ohlc.close,
    open: ohlc.open,
    high: ohlc.high,
    low: ohlc.low,
    close: ohlc.close,
    volume,
    bid,
    ask,
  };
  const state: JsonObject = { source_ts: ts as string };
  if (typeof value.dataset === "string") state.dataset = value.dataset;
  if (typeof value.source === "string") state.vendor = value.source;
  return {
    ok: true,
    snapshot: buildSnapshot({
      session_id: session,
      mode: options.mode ?? DEFAULT_MODE,
      source: "market",
      stage: "raw",
      symbol,
      market,
      timestamp_ms: timestampMs,
      run_id: `kis:${symbol}:${ts}`,
      inputs,
      state,
    }),
  };
}
