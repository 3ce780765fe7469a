/**
 * The catalog's manifests: `_catalog.json` at the top (every source file read, every partition)
 * and `_manifest.json` in each partition (its Parquet file, the sources of its rows, per-symbol
 * counts, first and last event time and largest gap). Both hold only what the inputs determine
 * (no build time), so building twice from the same inputs gives the same bytes. Their names
 * start with `_` so that Parquet readers given the whole directory (pyarrow, pandas, Spark)
 * skip them.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { CATALOG_MANIFEST, PARTITION_MANIFEST } from "./catalog_schema.ts";

/** A record file the catalog read: what was read of it, as it was then. */
export interface SourceEntry {
  /** Path relative to the project root (absolute when outside it). */
  file: string;
  /** Bytes read: the file up to its last line end. */
  bytes: number;
  /** Lines in those bytes. */
  lines: number;
  /** SHA-256 of those bytes, lowercase hex. */
  sha256: string;
  /** Records the reader yielded. */
  records: number;
  /** Lines that were not records (skipped). */
  bad_lines: number;
  /** Records without an event time (cannot be placed in a date partition; skipped). */
  no_event_time: number;
  /** Records left out because their run_id was already in the catalog or earlier in the build. */
  duplicates: number;
}

/** A partition's source file: the catalog's entry for it and how many rows came from it. */
export interface PartitionSource {
  /** As {@linkcode SourceEntry.file}. */
  file: string;
  /** As {@linkcode SourceEntry.bytes}. */
  bytes: number;
  /** As {@linkcode SourceEntry.lines}. */
  lines: number;
  /** As {@linkcode SourceEntry.sha256}. */
  sha256: string;
  /** Rows of this partition that came from it. */
  rows: number;
}

/** Per-symbol figures of a partition. */
export interface SymbolStats {
  /** The symbol; null for records without one. */
  symbol: string | null;
  /** Rows. */
  count: number;
  /** Earliest event time (ISO-8601 UTC). */
  first_event_time: string;
  /** Latest event time (ISO-8601 UTC). */
  last_event_time: string;
  /** Longest time between two consecutive records, ms; null with one record. */
  largest_gap_ms: number | null;
  /** Event time of the record before that gap (the earliest such gap when several tie). */
  largest_gap_from: string | null;
  /** Event time of the record after it. */
  largest_gap_to: string | null;
}

/** A Parquet file with its size, rows and SHA-256. */
export interface ParquetEntry {
  /** Path relative to the catalog directory. */
  file: string;
  /** Size in bytes. */
  bytes: number;
  /** Rows. */
  rows: number;
  /** SHA-256 of the file, lowercase hex. */
  sha256: string;
}

/** `date=YYYY-MM-DD/_manifest.json`. */
export interface PartitionManifest {
  /** The catalog schema version. */
  schema_version: string;
  /** The UTC event date. */
  date: string;
  /** The partition's Parquet file. */
  parquet: ParquetEntry;
  /** The source files of its rows, in catalog order. */
  sources: PartitionSource[];
  /** Per symbol, ordered by symbol (null last). */
  symbols: SymbolStats[];
}

/** `_catalog.json`. */
export interface CatalogManifest {
  /** The catalog schema version. */
  schema_version: string;
  /** The engine that wrote the Parquet files, e.g. `duckdb v1.5.6`. */
  engine: string;
  /** Parquet compression. */
  compression: string;
  /** How rows are split into files. */
  partitioning: string;
  /** How rows are ordered inside a file. */
  sort_order: string[];
  /** The columns, in file order. */
  columns: { name: string; type: string }[];
  /** Rows in all partitions. */
  rows: number;
  /** Every source file read, in the order first read. */
  sources: SourceEntry[];
  /** Every partition, by date. */
  partitions: ParquetEntry[];
}

/**
 * `value` as the manifests are written: two-space JSON and a final newline.
 *
 * @example
 * ```ts
 * import { manifestText } from "./catalog_manifest.ts";
 * manifestText({ a: 1 }); // => '{\n  "a": 1\n}\n'
 * ```
 */
export function manifestText(value: unknown): string {
  return JSON.stringify(value, null, 2) + "\n";
}

/**
 * Writes `text` to `path` through a temporary file beside it and a rename, so a reader sees
 * the old file or the new one, never half of one.
 *
 * @example
 * ```ts
 * import { writeFileAtomic } from "./catalog_manifest.ts";
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomic(`${dir}/_catalog.json`, "{}\n");
 * ```
 */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), `.${crypto.randomUUID()}.tmp`);
  try {
    await Deno.writeTextFile(tmp, text);
    await Deno.rename(tmp, path);
  } catch (error) {
    await Deno.remove(tmp).catch(() => {});
    throw error;
  }
}

/**
 * Reads a JSON manifest; `undefined` when the file does not exist.
 *
 * @example
 * ```ts
 * import { readManifest, type CatalogManifest } from "./catalog_manifest.ts";
 * const dir = await Deno.makeTempDir();
 * await readManifest<CatalogManifest>(`${dir}/_catalog.json`); // => undefined
 * ```
 */
export async function readManifest<T>(path: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new Error(`${path}: expected a JSON manifest, got unreadable text (${error})`);
  }
}

/**
 * The path of the catalog manifest of `catalogDir`.
 *
 * @example
 * ```ts
 * import { catalogManifestPath } from "./catalog_manifest.ts";
 * catalogManifestPath("/p/data/observer/catalog"); // => "/p/data/observer/catalog/_catalog.json"
 * ```
 */
export function catalogManifestPath(catalogDir: string): string {
  return join(catalogDir, CATALOG_MANIFEST);
}

/**
 * The path of the manifest of partition directory `partition` (e.g. `date=2026-01-26`).
 *
 * @example
 * ```ts
 * import { partitionManifestPath } from "./catalog_manifest.ts";
 * partitionManifestPath("/c", "date=2026-01-26"); // => "/c/date=2026-01-26/_manifest.json"
 * ```
 */
export function partitionManifestPath(catalogDir: string, partition: string): string {
  return join(catalogDir, partition, PARTITION_MANIFEST);
}
