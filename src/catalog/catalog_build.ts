/**
 * `catalog build`: turns finished record files into Parquet partitions (one file per UTC event
 * date, zstd, rows ordered by symbol, event time, run_id) with manifests. Incremental: a source
 * file already read (same path and SHA-256) is not read again; only the dates that get new rows
 * are rewritten (their old rows read back from their Parquet file); a run_id already in the
 * catalog, or met earlier in the same build, is not added again.
 *
 * @module
 */

import { isAbsolute, join, relative } from "node:path";
import {
  CATALOG_COLUMNS,
  CATALOG_SCHEMA_VERSION,
  PARTITION_FILE,
  PARTITION_KEY,
  partitionName,
  utcDate,
} from "./catalog_schema.ts";
import {
  type CatalogManifest,
  catalogManifestPath,
  manifestText,
  type ParquetEntry,
  type PartitionManifest,
  partitionManifestPath,
  readManifest,
  type SourceEntry,
  writeFileAtomic,
} from "./catalog_manifest.ts";
import {
  ENGINE_TEMP_DIR,
  openCatalogEngine,
  type SqlConnection,
  sqlString,
} from "./duckdb_engine.ts";
import { finishedCandidates } from "./finished_files.ts";
import { digestFile } from "./source_scan.ts";
import { CATALOG_SELECT, firstOfEachRunId, stageSource, StagingWriter } from "./staging_table.ts";
import { countRows, rowsPerSource, symbolStats } from "./partition_stats.ts";
import { completeLength } from "./finished_files.ts";

const DAY_MS = 86_400_000;

/** Parquet settings of every partition file. */
export const PARQUET_OPTIONS = {
  /** Compression codec. */
  compression: "zstd",
  /** Rows per row group: small enough that one symbol's rows skip most of a day's file. */
  rowGroupSize: 16_384,
} as const;

/** The sort order of rows in a partition file. */
export const SORT_ORDER: readonly string[] = [
  "symbol",
  "timestamp_ms",
  "run_id",
  "source_file",
  "source_line",
];

/** Options of {@linkcode buildCatalog}. */
export interface BuildOptions {
  /** The project root: source paths are recorded relative to it. */
  readonly root: string;
  /** The catalog directory (`data/observer/catalog`), absolute. */
  readonly catalogDir: string;
  /** Record files or directories, absolute. */
  readonly inputs: readonly string[];
  /** Longest line read, in bytes. */
  readonly maxLineBytes?: number;
  /** DuckDB threads; default 2. */
  readonly threads?: number;
  /** DuckDB memory limit; default `1GB` (spills into the catalog's `.tmp` beyond). */
  readonly memoryLimit?: string;
  /** Told about each file and bad line as the build goes. */
  readonly onEvent?: (message: string) => void;
}

/** What a build did. */
export interface BuildResult {
  /** Source files read this time. */
  readonly sourcesRead: string[];
  /** Source files already in the catalog, unchanged, not read again. */
  readonly sourcesUnchanged: string[];
  /** Files left out (still being written, not regular files), with the reason. */
  readonly skipped: { readonly file: string; readonly reason: string }[];
  /** Records read from the sources read. */
  readonly records: number;
  /** Rows added to the catalog. */
  readonly added: number;
  /** Records not added: their run_id was in the catalog already or earlier in this build. */
  readonly duplicates: number;
  /** Lines that were not records. */
  readonly badLines: number;
  /** Records without an event time (not added). */
  readonly noEventTime: number;
  /** Partitions written, e.g. `date=2026-01-26`. */
  readonly partitionsWritten: string[];
  /** Rows in the catalog after the build. */
  readonly totalRows: number;
}

/**
 * The name a source file gets in manifests and the `source_file` column: its path relative to
 * `root` when inside it, else absolute.
 *
 * @example
 * ```ts
 * import { sourceName } from "./catalog_build.ts";
 * sourceName("/p", "/p/data/observer/a.jsonl"); // => "data/observer/a.jsonl"
 * ```
 */
export function sourceName(root: string, path: string): string {
  const rel = relative(root, path);
  return rel.startsWith("..") || isAbsolute(rel) ? path : rel;
}

/**
 * The absolute path of a source named by {@linkcode sourceName}.
 *
 * @example
 * ```ts
 * import { sourcePath } from "./catalog_build.ts";
 * sourcePath("/p", "data/observer/a.jsonl"); // => "/p/data/observer/a.jsonl"
 * ```
 */
export function sourcePath(root: string, name: string): string {
  return isAbsolute(name) ? name : join(root, name);
}

/**
 * The partition directories present in `catalogDir` (`date=…`), sorted.
 *
 * @example
 * ```ts
 * import { listPartitions } from "./catalog_build.ts";
 * const dir = await Deno.makeTempDir();
 * await listPartitions(dir); // => []
 * ```
 */
export async function listPartitions(catalogDir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(catalogDir)) {
      if (entry.isDirectory && entry.name.startsWith(`${PARTITION_KEY}=`)) names.push(entry.name);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return names.sort();
}

/**
 * Builds or extends the catalog (see the module notes).
 *
 * @example
 * ```ts
 * import { buildCatalog } from "./catalog_build.ts";
 * const root = "/srv/qts";
 * const result = await buildCatalog({
 *   root,
 *   catalogDir: `${root}/data/observer/catalog`,
 *   inputs: [`${root}/data/observer`],
 * });
 * console.log(result.added, result.partitionsWritten);
 * ```
 */
export async function buildCatalog(options: BuildOptions): Promise<BuildResult> {
  const { root, catalogDir } = options;
  const tell = options.onEvent ?? (() => {});
  await Deno.mkdir(catalogDir, { recursive: true });
  const previous = await readManifest<CatalogManifest>(catalogManifestPath(catalogDir));
  const sources: SourceEntry[] = previous?.sources.map((s) => ({ ...s })) ?? [];
  const byName = new Map(sources.map((s) => [s.file, s]));

  const skipped: { file: string; reason: string }[] = [];
  const toRead: { path: string; name: string }[] = [];
  const unchanged: string[] = [];
  for (const candidate of await finishedCandidates(options.inputs, catalogDir)) {
    const name = sourceName(root, candidate.path);
    if (candidate.skipped !== undefined) {
      skipped.push({ file: name, reason: candidate.skipped });
      tell(`${name}: skipped, ${candidate.skipped}`);
      continue;
    }
    const known = byName.get(name);
    if (known !== undefined && await sameContent(candidate.path, known)) {
      unchanged.push(name);
      continue;
    }
    toRead.push({ path: candidate.path, name });
  }

  await removeTempDir(catalogDir);
  const engine = await openCatalogEngine({
    allowedDir: catalogDir,
    threads: options.threads,
    memoryLimit: options.memoryLimit ?? "1GB",
  });
  try {
    const con = engine.connection;
    const writer = await StagingWriter.create(con, "staging");
    let records = 0;
    let badLines = 0;
    let noEventTime = 0;
    const readNames: string[] = [];
    for (const { path, name } of toRead) {
      const staged = await stageSource(writer, path, name, {
        maxLineBytes: options.maxLineBytes,
        onBadLine: (line, reason) => tell(`${name}:${line}: not a record, skipped: ${reason}`),
      });
      const stats = staged.digest.stats!;
      records += stats.records;
      badLines += stats.badLines;
      noEventTime += staged.noEventTime;
      const entry: SourceEntry = {
        file: name,
        bytes: staged.digest.bytes,
        lines: staged.digest.lines,
        sha256: staged.digest.sha256,
        records: stats.records,
        bad_lines: stats.badLines,
        no_event_time: staged.noEventTime,
        duplicates: 0,
      };
      const known = byName.get(name);
      if (known !== undefined) Object.assign(known, entry);
      else {
        sources.push(entry);
        byName.set(name, entry);
      }
      readNames.push(name);
      tell(`${name}: ${stats.records} records`);
    }
    writer.close();

    await firstOfEachRunId(con, "staging", "firsts");
    const existing = await listPartitions(catalogDir);
    const existingFiles = existing.map((p) => join(catalogDir, p, PARTITION_FILE));
    // Only run_id and seq are looked at here: the rows themselves are not copied.
    await con.run(
      existingFiles.length === 0
        ? "CREATE TABLE known AS SELECT seq FROM firsts WHERE false"
        : `CREATE TABLE known AS SELECT seq FROM firsts WHERE run_id IN (
             SELECT run_id FROM read_parquet([${existingFiles.map(sqlString).join(", ")}],
               hive_partitioning = false)
             WHERE run_id IS NOT NULL)`,
    );
    await con.run(
      "CREATE VIEW fresh AS SELECT * FROM firsts WHERE seq NOT IN (SELECT seq FROM known)",
    );
    const kept = await con.runAndReadAll(
      "SELECT source_file, count(*) FROM fresh GROUP BY 1",
    );
    const keptPerFile = new Map(kept.getRowsJS().map((r) => [String(r[0]), Number(r[1])]));
    const staged = await con.runAndReadAll(
      "SELECT source_file, count(*) FROM staging GROUP BY 1",
    );
    let duplicates = 0;
    for (const [file, n] of staged.getRowsJS().map((r) => [String(r[0]), Number(r[1])] as const)) {
      const entry = byName.get(file)!;
      entry.duplicates = n - (keptPerFile.get(file) ?? 0);
      duplicates += entry.duplicates;
    }
    const added = [...keptPerFile.values()].reduce((a, b) => a + b, 0);

    const days = (await con.runAndReadAll(
      "SELECT DISTINCT CAST(floor(timestamp_ms / 86400000) AS BIGINT) AS d FROM fresh ORDER BY d",
    )).getRowsJS().map((r) => utcDate(Number(r[0]) * DAY_MS));
    const written: string[] = [];
    for (const day of days) {
      const partition = partitionName(day);
      await writePartition(con, catalogDir, partition, day);
      written.push(partition);
      tell(`${partition}: written`);
    }

    // Manifests: the partitions written, and any other whose sources' entries changed.
    const partitions: ParquetEntry[] = [];
    for (const partition of await listPartitions(catalogDir)) {
      const manifestPath = partitionManifestPath(catalogDir, partition);
      const old = await readManifest<PartitionManifest>(manifestPath);
      let manifest: PartitionManifest;
      if (written.includes(partition) || old === undefined) {
        manifest = await describePartition(con, catalogDir, partition, byName);
      } else {
        manifest = {
          ...old,
          sources: old.sources.map((s) => ({ ...s, ...pick(byName.get(s.file)) })),
        };
      }
      const text = manifestText(manifest);
      if (old === undefined || manifestText(old) !== text) {
        await writeFileAtomic(manifestPath, text);
      }
      partitions.push({ ...manifest.parquet, file: `${partition}/${manifest.parquet.file}` });
    }
    const catalog: CatalogManifest = {
      schema_version: CATALOG_SCHEMA_VERSION,
      engine: `duckdb ${engine.version}`,
      compression: PARQUET_OPTIONS.compression,
      partitioning: `${PARTITION_KEY}=YYYY-MM-DD (UTC event date), one ${PARTITION_FILE} each`,
      sort_order: [...SORT_ORDER],
      columns: CATALOG_COLUMNS.map((c) => ({ name: c.name, type: c.type })),
      rows: partitions.reduce((a, p) => a + p.rows, 0),
      sources,
      partitions,
    };
    await writeFileAtomic(catalogManifestPath(catalogDir), manifestText(catalog));
    return {
      sourcesRead: readNames,
      sourcesUnchanged: unchanged,
      skipped,
      records,
      added,
      duplicates,
      badLines,
      noEventTime,
      partitionsWritten: written,
      totalRows: catalog.rows,
    };
  } finally {
    engine.close();
    await removeTempDir(catalogDir);
  }
}

function pick(entry: SourceEntry | undefined) {
  if (entry === undefined) return {};
  return { bytes: entry.bytes, lines: entry.lines, sha256: entry.sha256 };
}

/** True when the file's complete lines are still exactly what `known` describes. */
async function sameContent(path: string, known: SourceEntry): Promise<boolean> {
  const size = (await Deno.stat(path)).size;
  using file = await Deno.open(path, { read: true });
  if ((await completeLength(file, size)) !== known.bytes) return false;
  return (await digestFile(path, known.bytes)).sha256 === known.sha256;
}

/**
 * Removes the engine's spill directory (`<catalogDir>/.tmp`), if any.
 *
 * @example
 * ```ts
 * import { removeTempDir } from "./catalog_build.ts";
 * await removeTempDir(await Deno.makeTempDir());
 * ```
 */
export async function removeTempDir(catalogDir: string): Promise<void> {
  await Deno.remove(join(catalogDir, ENGINE_TEMP_DIR), { recursive: true }).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
}

/** Writes `date=<day>/part-0.parquet`: its old rows and the new ones, sorted, zstd. */
async function writePartition(
  con: SqlConnection,
  catalogDir: string,
  partition: string,
  day: string,
): Promise<void> {
  const dir = join(catalogDir, partition);
  await Deno.mkdir(dir, { recursive: true });
  const target = join(dir, PARTITION_FILE);
  const tmp = join(dir, `.${PARTITION_FILE}.tmp`);
  const hasOld = await Deno.stat(target).then(() => true, () => false);
  const start = Date.parse(`${day}T00:00:00.000Z`);
  const fresh = `SELECT ${CATALOG_SELECT} FROM fresh
    WHERE timestamp_ms >= ${start} AND timestamp_ms < ${start + DAY_MS}`;
  const rows = hasOld
    ? `${fresh} UNION ALL SELECT * FROM read_parquet(${
      sqlString(target)
    }, hive_partitioning = false)`
    : fresh;
  await con.run(`
    COPY (SELECT * FROM (${rows}) ORDER BY symbol NULLS LAST, ${SORT_ORDER.slice(1).join(", ")})
    TO ${sqlString(tmp)}
    (FORMAT parquet, COMPRESSION ${PARQUET_OPTIONS.compression},
     ROW_GROUP_SIZE ${PARQUET_OPTIONS.rowGroupSize})`);
  await Deno.rename(tmp, target);
}

/** The manifest of a partition, computed from its Parquet file. */
async function describePartition(
  con: SqlConnection,
  catalogDir: string,
  partition: string,
  sources: Map<string, SourceEntry>,
): Promise<PartitionManifest> {
  const path = join(catalogDir, partition, PARTITION_FILE);
  const digest = await digestFile(path);
  const perSource = await rowsPerSource(con, path);
  const order = [...sources.keys()];
  const names = [...perSource.keys()].sort((a, b) => order.indexOf(a) - order.indexOf(b));
  return {
    schema_version: CATALOG_SCHEMA_VERSION,
    date: partition.slice(PARTITION_KEY.length + 1),
    parquet: {
      file: PARTITION_FILE,
      bytes: digest.bytes,
      rows: await countRows(con, path),
      sha256: digest.sha256,
    },
    sources: names.map((file) => ({
      file,
      ...pick(sources.get(file)) as { bytes: number; lines: number; sha256: string },
      rows: perSource.get(file)!,
    })),
    symbols: await symbolStats(con, path),
  };
}
