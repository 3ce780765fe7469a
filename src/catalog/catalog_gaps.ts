/**
 * The gaps report: per symbol and day, the stretches inside the recorded span where no record
 * came for longer than a threshold (the first quality question about a feed).
 *
 * @module
 */

import type { QueryResult } from "./catalog_query.ts";
import { openRecordsView } from "./catalog_query.ts";
import { sqlString } from "./duckdb_engine.ts";

/** Options of {@linkcode catalogGaps}. */
export interface GapsOptions {
  /** Report gaps longer than this many seconds. Default {@linkcode DEFAULT_GAP_SECONDS}. */
  readonly minSeconds?: number;
  /** Only these symbols; all when absent or empty. */
  readonly symbols?: readonly string[];
}

/** Default of {@linkcode GapsOptions.minSeconds}. */
export const DEFAULT_GAP_SECONDS = 60;

/**
 * Gaps in the catalog at `catalogDir`: columns `symbol, date, gap_from, gap_to, seconds`,
 * ordered by symbol, date and start. A gap lies between two consecutive records of one symbol
 * on one UTC day (by event time, then run_id), so time before a day's first record or after
 * its last is never a gap.
 *
 * @example
 * ```ts
 * import { catalogGaps } from "./catalog_gaps.ts";
 * const gaps = await catalogGaps("/srv/qts/data/observer/catalog", { minSeconds: 300 });
 * gaps.rows.length; // stretches longer than 5 minutes without a record
 * ```
 */
export async function catalogGaps(
  catalogDir: string,
  options: GapsOptions = {},
): Promise<QueryResult> {
  const minMs = Math.round((options.minSeconds ?? DEFAULT_GAP_SECONDS) * 1000);
  const symbols = options.symbols ?? [];
  const where = symbols.length === 0
    ? ""
    : `WHERE symbol IN (${symbols.map(sqlString).join(", ")})`;
  using engine = await openRecordsView(catalogDir);
  const reader = await engine.connection.runAndReadAll(`
    WITH t AS (
      SELECT symbol, date, event_time, timestamp_ms,
        lag(event_time) OVER w AS prev_time, lag(timestamp_ms) OVER w AS prev_ms
      FROM records ${where}
      WINDOW w AS (PARTITION BY symbol, date ORDER BY timestamp_ms, run_id)
    )
    SELECT symbol, date, prev_time AS gap_from, event_time AS gap_to,
      (timestamp_ms - prev_ms) / 1000.0 AS seconds
    FROM t WHERE timestamp_ms - prev_ms > ${minMs}
    ORDER BY symbol NULLS LAST, date, gap_from`);
  return {
    columns: reader.columnNames(),
    types: reader.columnTypes().map((t) => t.toString()),
    rows: reader.getRowsJS(),
  };
}
