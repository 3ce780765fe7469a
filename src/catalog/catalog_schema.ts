/**
 * The columns of the research catalog: what each Parquet file under `data/observer/catalog/`
 * holds, in order, with its DuckDB type. One definition for the writer, the verifier and the
 * docs.
 *
 * @module
 */

import { join } from "node:path";
import { observerDataDir } from "../paths.ts";

/** The catalog's directory name inside `data/observer`. */
export const CATALOG_DIR_NAME = "catalog";

/**
 * The catalog directory of a project root: `<root>/data/observer/catalog`.
 *
 * @example
 * ```ts
 * import { catalogDirectory } from "./catalog_schema.ts";
 * catalogDirectory("/srv/qts"); // => "/srv/qts/data/observer/catalog"
 * ```
 */
export function catalogDirectory(root: string): string {
  return join(observerDataDir(root), CATALOG_DIR_NAME);
}

/** Version of the catalog layout (columns, partitioning, manifests); in every manifest. */
export const CATALOG_SCHEMA_VERSION = "qts-catalog-v1";

/** One column of the catalog's Parquet files. */
export interface CatalogColumn {
  /** Column name. */
  readonly name: string;
  /** DuckDB type as written to Parquet. */
  readonly type: string;
  /** Where the value comes from in the record. */
  readonly from: string;
}

/**
 * The columns, in file order. Numbers are `DOUBLE` (a value beyond 2^53 is rounded there; its
 * exact text is in `inputs_json` and `record_line`).
 *
 * @example
 * ```ts
 * import { CATALOG_COLUMNS } from "./catalog_schema.ts";
 * CATALOG_COLUMNS[0].name; // => "event_time"
 * ```
 */
export const CATALOG_COLUMNS: readonly CatalogColumn[] = [
  {
    name: "event_time",
    type: "TIMESTAMPTZ",
    from: "snapshot.meta.timestamp_ms as a UTC timestamp (whole milliseconds)",
  },
  { name: "timestamp_ms", type: "BIGINT", from: "snapshot.meta.timestamp_ms, exact" },
  { name: "run_id", type: "VARCHAR", from: "snapshot.meta.run_id" },
  { name: "session_id", type: "VARCHAR", from: "snapshot.meta.session_id" },
  { name: "mode", type: "VARCHAR", from: "snapshot.meta.mode" },
  { name: "source", type: "VARCHAR", from: "snapshot.context.source" },
  { name: "stage", type: "VARCHAR", from: "snapshot.context.stage" },
  { name: "symbol", type: "VARCHAR", from: "snapshot.context.symbol (null when absent)" },
  { name: "market", type: "VARCHAR", from: "snapshot.context.market (null when absent)" },
  { name: "guard_action", type: "VARCHAR", from: "metadata.guard.action" },
  { name: "guard_reason", type: "VARCHAR", from: "metadata.guard.reason" },
  { name: "price", type: "DOUBLE", from: "inputs.price (or inputs.price.close)" },
  { name: "open", type: "DOUBLE", from: "inputs.open (or inputs.price.open)" },
  { name: "high", type: "DOUBLE", from: "inputs.high (or inputs.price.high)" },
  { name: "low", type: "DOUBLE", from: "inputs.low (or inputs.price.low)" },
  { name: "close", type: "DOUBLE", from: "inputs.close (or inputs.price.close)" },
  { name: "volume", type: "DOUBLE", from: "inputs.volume" },
  { name: "bid", type: "DOUBLE", from: "inputs.bid (or inputs.bid_price)" },
  { name: "ask", type: "DOUBLE", from: "inputs.ask (or inputs.ask_price)" },
  {
    name: "quality_flags",
    type: "VARCHAR[]",
    from: "metadata._quality.flags (null when the record has no _quality)",
  },
  {
    name: "hints",
    type: "VARCHAR[]",
    from: "metadata._interpretation.hints (null when the record has no _interpretation)",
  },
  { name: "inputs_json", type: "VARCHAR", from: "snapshot.observation.inputs as JSON text" },
  { name: "computed_json", type: "VARCHAR", from: "snapshot.observation.computed as JSON text" },
  { name: "state_json", type: "VARCHAR", from: "snapshot.observation.state as JSON text" },
  { name: "record_line", type: "VARCHAR", from: "the record's line, byte for byte (no newline)" },
  { name: "source_file", type: "VARCHAR", from: "the record file, relative to the project root" },
  { name: "source_line", type: "BIGINT", from: "the record's 1-based line number in that file" },
];

/**
 * The names of {@linkcode CATALOG_COLUMNS}, in order.
 *
 * @example
 * ```ts
 * import { catalogColumnNames } from "./catalog_schema.ts";
 * catalogColumnNames().includes("record_line"); // => true
 * ```
 */
export function catalogColumnNames(): string[] {
  return CATALOG_COLUMNS.map((c) => c.name);
}

/** Name of the hive-style partition key directory: `date=YYYY-MM-DD` (UTC event date). */
export const PARTITION_KEY = "date";

/** File name of the one Parquet file of a partition. */
export const PARTITION_FILE = "part-0.parquet";

/** File name of a partition's manifest, beside its Parquet file. */
export const PARTITION_MANIFEST = "_manifest.json";

/** File name of the catalog's manifest, at the top of the catalog directory. */
export const CATALOG_MANIFEST = "_catalog.json";

/**
 * The partition directory name of a UTC event date.
 *
 * @example
 * ```ts
 * import { partitionName } from "./catalog_schema.ts";
 * partitionName("2026-01-26"); // => "date=2026-01-26"
 * ```
 */
export function partitionName(date: string): string {
  return `${PARTITION_KEY}=${date}`;
}

/**
 * The UTC date (`YYYY-MM-DD`) of an epoch-ms event time.
 *
 * @example
 * ```ts
 * import { utcDate } from "./catalog_schema.ts";
 * utcDate(1769397500080); // => "2026-01-26"
 * ```
 */
export function utcDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
