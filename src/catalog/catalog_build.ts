/**
 * `catalog build`: turns finished record files into Parquet partitions (one file per UTC event
 * date, zstd, rows ordered by symbol, event time, run_id) with manifests. Incremental: a source
 * file already read (same path and SHA-256) is not read again; only the dates that get new rows
 * are rewritten (their old rows read back from their Parquet file); a run_id already in the
 * catalog, or met earlier in the same build, is not added again. Sources are parsed by workers
 * and staged in batches (`catalog_batch.ts`).
 *
 * @module
 */

import { isAbsolute, join, relative } from "node:path";
import {
  CATALOG_COLUMNS,
  CATALOG_SCHEMA_VERSION,
  PARTITION_FILE,
  PARTITION_KEY,
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
import { ENGINE_TEMP_DIR, openCatalogEngine, type SqlConnection } from "./duckdb_engine.ts";
import { completeLength, finishedCandidates } from "./finished_files.ts";
import { digestFile } from "./source_scan.ts";
import type { StagedSource } from "./staging_table.ts";
import { parquetRows, rowsPerSource, symbolStats } from "./partition_stats.ts";
import {
  loadKnownRunIds,
  PARQUET_OPTIONS,
  SORT_ORDER,
  sourceBatches,
  type SourceToRead,
  stageBatch,
  type StagedBatch,
  writeBatch,
} from "./catalog_batch.ts";
import { inThreadParser, ParseWorkers } from "./parse_workers.ts";

export { PARQUET_OPTIONS, SORT_ORDER };

/** Source bytes staged at once by default: their rows stay well within a 1 GB engine. */
export const DEFAULT_BATCH_BYTES = 256 * 1024 * 1024;

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
  /** DuckDB threads; default {@linkcode defaultEngineThreads}. */
  readonly threads?: number;
  /** DuckDB memory limit; default `1GB` (spills into the catalog's `.tmp` beyond). */
  readonly memoryLimit?: string;
  /** Parse workers (Web Workers); 0 parses on this thread. Default {@linkcode defaultWorkers}. */
  readonly workers?: number;
  /** Source bytes staged and written at once; default {@linkcode DEFAULT_BATCH_BYTES}. */
  readonly batchBytes?: number;

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
  const { catalogDir } = options;
  const tell = options.onEvent ?? (() => {});
  await Deno.mkdir(catalogDir, { recursive: true });
  const previous = await readManifest<CatalogManifest>(catalogManifestPath(catalogDir));
  const sources = new SourceBook(previous?.sources ?? []);
  const plan = await planSources(options, sources, tell);
  await removeTempDir(catalogDir);
  const engine = await openCatalogEngine({
    allowedDir: catalogDir,
    threads: options.threads ?? defaultEngineThreads(),
    memoryLimit: options.memoryLimit ?? "1GB",
  });
  const workers = options.workers ?? defaultWorkers();
  using pool = workers > 0 ? new ParseWorkers(workers) : undefined;
  const parser = pool ?? inThreadParser;
  try {
    const con = engine.connection;
    const existing = await listPartitions(catalogDir);
    await loadKnownRunIds(con, existing.map((p) => join(catalogDir, p, PARTITION_FILE)));
    const totals = { records: 0, badLines: 0, noEventTime: 0, added: 0, duplicates: 0 };
    const written = new Set<string>();
    const writer = await engine.connect();
    let writing: Promise<string[]> | undefined;
    const batches = sourceBatches(plan.toRead, options.batchBytes ?? DEFAULT_BATCH_BYTES);
    try {
      for (const [n, batch] of batches.entries()) {
        const staged = await stageBatch(con, n, batch, {
          parser,
          maxLineBytes: options.maxLineBytes,
          tell,
          onStaged: (file, staged) => {
            const stats = staged.digest.stats!;
            totals.records += stats.records;
            totals.badLines += stats.badLines;
            totals.noEventTime += staged.noEventTime;
            sources.read(file.name, staged);
            tell(`${file.name}: ${stats.records} records`);
          },
        });
        countAdded(staged, sources, totals);
        for (const partition of (await writing) ?? []) written.add(partition);
        writing = writeBatch(writer, catalogDir, staged, tell);
      }
      for (const partition of (await writing) ?? []) written.add(partition);
    } finally {
      await writing?.catch(() => {});
    }
    const catalog = await writeManifests(con, catalogDir, engine.version, written, sources);
    const { added, duplicates, records, badLines, noEventTime } = totals;
    return {
      sourcesRead: plan.toRead.map((f) => f.name),
      sourcesUnchanged: plan.unchanged,
      skipped: plan.skipped,
      records,
      added,
      duplicates,
      badLines,
      noEventTime,
      partitionsWritten: [...written].sort(),
      totalRows: catalog.rows,
    };
  } finally {
    engine.close();
    await removeTempDir(catalogDir);
  }
}

/**
 * The default number of parse workers: one core is left to the thread that appends the rows
 * (and to the engine), at most two workers: 1 on a 2-core machine.
 *
 * @example
 * ```ts
 * import { defaultWorkers } from "./catalog_build.ts";
 * defaultWorkers() >= 1; // => true
 * ```
 */
export function defaultWorkers(): number {
  return Math.min(2, Math.max(1, navigator.hardwareConcurrency - 1));
}

/**
 * The default number of DuckDB threads of a build: the parse workers and the thread that
 * appends the rows keep the cores busy while the engine writes, and a second engine thread on
 * a 2-core machine only competes with them (a fifth more CPU per record, measured): 1 on a
 * 2-core machine, 2 on more.
 *
 * @example
 * ```ts
 * import { defaultEngineThreads } from "./catalog_build.ts";
 * defaultEngineThreads() >= 1; // => true
 * ```
 */
export function defaultEngineThreads(): number {
  return navigator.hardwareConcurrency > 2 ? 2 : 1;
}

/** Adds a staged batch's rows added and duplicates to its sources' entries and `totals`. */
function countAdded(
  batch: StagedBatch,
  sources: SourceBook,
  totals: { added: number; duplicates: number },
): void {
  for (const [file, n] of batch.staged) {
    const kept = batch.added.get(file) ?? 0;
    sources.get(file)!.duplicates = n - kept;
    totals.duplicates += n - kept;
    totals.added += kept;
  }
}

/** The source entries of the catalog, by name, in the order first read. */
class SourceBook {
  readonly entries: SourceEntry[];
  readonly #byName: Map<string, SourceEntry>;

  constructor(entries: readonly SourceEntry[]) {
    this.entries = entries.map((s) => ({ ...s }));
    this.#byName = new Map(this.entries.map((s) => [s.file, s]));
  }

  get(name: string): SourceEntry | undefined {
    return this.#byName.get(name);
  }

  /** The names in the order first read. */
  names(): string[] {
    return this.entries.map((s) => s.file);
  }

  /** Records what staging `name` read (its duplicates are set once its batch is written). */
  read(name: string, staged: StagedSource): void {
    const stats = staged.digest.stats!;
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
    const known = this.#byName.get(name);
    if (known !== undefined) Object.assign(known, entry);
    else {
      this.entries.push(entry);
      this.#byName.set(name, entry);
    }
  }
}

/** Which candidate files to read, which are unchanged, which skipped (told as they are). */
async function planSources(
  options: BuildOptions,
  sources: SourceBook,
  tell: (message: string) => void,
): Promise<{ toRead: SourceToRead[]; unchanged: string[]; skipped: BuildResult["skipped"] }> {
  const skipped: { file: string; reason: string }[] = [];
  const toRead: SourceToRead[] = [];
  const unchanged: string[] = [];
  for (const candidate of await finishedCandidates(options.inputs, options.catalogDir)) {
    const name = sourceName(options.root, candidate.path);
    if (candidate.skipped !== undefined) {
      skipped.push({ file: name, reason: candidate.skipped });
      tell(`${name}: skipped, ${candidate.skipped}`);
      continue;
    }
    const known = sources.get(name);
    if (known !== undefined && await sameContent(candidate.path, known)) {
      unchanged.push(name);
      continue;
    }
    toRead.push({ path: candidate.path, name, bytes: (await Deno.stat(candidate.path)).size });
  }
  return { toRead, unchanged, skipped };
}

/**
 * Writes the manifests: of the partitions written, and of any other whose sources' entries
 * changed; then `_catalog.json`. Returns the catalog manifest.
 */
async function writeManifests(
  con: SqlConnection,
  catalogDir: string,
  engineVersion: string,
  written: ReadonlySet<string>,
  sources: SourceBook,
): Promise<CatalogManifest> {
  const partitions: ParquetEntry[] = [];
  for (const partition of await listPartitions(catalogDir)) {
    const manifestPath = partitionManifestPath(catalogDir, partition);
    const old = await readManifest<PartitionManifest>(manifestPath);
    let manifest: PartitionManifest;
    if (written.has(partition) || old === undefined) {
      manifest = await describePartition(con, catalogDir, partition, sources);
    } else {
      manifest = {
        ...old,
        sources: old.sources.map((s) => ({ ...s, ...pick(sources.get(s.file)) })),
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
    engine: `duckdb ${engineVersion}`,
    compression: PARQUET_OPTIONS.compression,
    partitioning: `${PARTITION_KEY}=YYYY-MM-DD (UTC event date), one ${PARTITION_FILE} each`,
    sort_order: [...SORT_ORDER],
    columns: CATALOG_COLUMNS.map((c) => ({ name: c.name, type: c.type })),
    rows: partitions.reduce((a, p) => a + p.rows, 0),
    sources: sources.entries,
    partitions,
  };
  await writeFileAtomic(catalogManifestPath(catalogDir), manifestText(catalog));
  return catalog;
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

/** The manifest of a partition, computed from its Parquet file. */
async function describePartition(
  con: SqlConnection,
  catalogDir: string,
  partition: string,
  sources: SourceBook,
): Promise<PartitionManifest> {
  const path = join(catalogDir, partition, PARTITION_FILE);
  const digest = await digestFile(path);
  const perSource = await rowsPerSource(con, path);
  const order = sources.names();
  const names = [...perSource.keys()].sort((a, b) => order.indexOf(a) - order.indexOf(b));
  return {
    schema_version: CATALOG_SCHEMA_VERSION,
    date: partition.slice(PARTITION_KEY.length + 1),
    parquet: {
      file: PARTITION_FILE,
      bytes: digest.bytes,
      rows: await parquetRows(con, path),
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
