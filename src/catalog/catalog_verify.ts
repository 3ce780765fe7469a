/**
 * `catalog verify`: recomputes everything the manifests claim and checks the rows against the
 * source records. Checked: every partition listed exists and no other does; each Parquet file's
 * size, SHA-256, row count, per-source row counts and per-symbol figures; no run_id twice in a
 * partition; each source file's size, line count and SHA-256 over the bytes the build read;
 * and, re-reading every source file with the record reader, that each partition holds exactly
 * the rows its date should (count and run_id multiset) with every column equal, for all rows
 * (a sample would miss the one row a bad disk or a hand edit changed; the cost is one more
 * read of the sources, about what the build took).
 *
 * @module
 */

import { join } from "node:path";
import {
  type CatalogManifest,
  catalogManifestPath,
  type PartitionManifest,
  partitionManifestPath,
  readManifest,
} from "./catalog_manifest.ts";
import { catalogColumnNames, PARTITION_FILE } from "./catalog_schema.ts";
import { openCatalogEngine, type SqlConnection, sqlString } from "./duckdb_engine.ts";
import { listPartitions, removeTempDir, sourcePath } from "./catalog_build.ts";
import { countRows, duplicatedRunIds, rowsPerSource, symbolStats } from "./partition_stats.ts";
import { digestFile } from "./source_scan.ts";
import { CATALOG_SELECT, firstOfEachRunId, stageSource, StagingWriter } from "./staging_table.ts";
import { firstErrorLine } from "../io/error_message.ts";

/** Options of {@linkcode verifyCatalog}. */
export interface VerifyOptions {
  /** The project root (source names are relative to it). */
  readonly root: string;
  /** The catalog directory, absolute. */
  readonly catalogDir: string;
  /** Longest line read, in bytes. */
  readonly maxLineBytes?: number;
  /** DuckDB threads; default 2. */
  readonly threads?: number;
  /** DuckDB memory limit; default `1GB`. */
  readonly memoryLimit?: string;
  /** Mismatches listed per kind and partition at most (the count is always given). Default 5. */
  readonly examples?: number;
}

/** What verification found. */
export interface VerifyResult {
  /** Every mismatch, one line each; empty when the catalog is whole. */
  readonly mismatches: string[];
  /** Things worth knowing that are not mismatches (a source that grew since the build). */
  readonly notes: string[];
  /** Partitions checked. */
  readonly partitions: number;
  /** Rows in the readable partitions. */
  readonly rows: number;
  /** Source files checked. */
  readonly sources: number;
}

/**
 * Verifies the catalog in `catalogDir` (see the module notes).
 *
 * @example
 * ```ts
 * import { verifyCatalog } from "./catalog_verify.ts";
 * const result = await verifyCatalog({ root: "/srv/qts", catalogDir: "/srv/qts/data/observer/catalog" });
 * for (const line of result.mismatches) console.log(line);
 * ```
 */
export async function verifyCatalog(options: VerifyOptions): Promise<VerifyResult> {
  const { root, catalogDir } = options;
  const examples = options.examples ?? 5;
  const mismatches: string[] = [];
  const notes: string[] = [];
  const catalog = await readCatalogManifest(catalogDir, mismatches);
  if (catalog === undefined) return { mismatches, notes, partitions: 0, rows: 0, sources: 0 };

  const listed = new Map(catalog.partitions.map((p) => [p.file.split("/")[0], p]));
  const onDisk = await listPartitions(catalogDir);
  for (const partition of onDisk) {
    if (!listed.has(partition)) mismatches.push(`${partition}: on disk but not in _catalog.json`);
  }
  await removeTempDir(catalogDir);
  const engine = await openCatalogEngine({
    allowedDir: catalogDir,
    threads: options.threads,
    memoryLimit: options.memoryLimit ?? "1GB",
  });
  try {
    const con = engine.connection;
    const sourceByName = new Map(catalog.sources.map((s) => [s.file, s]));
    const readable: string[] = [];
    let rows = 0;
    for (const [partition, entry] of listed) {
      if (!onDisk.includes(partition)) {
        mismatches.push(`${partition}: missing (listed in _catalog.json with ${entry.rows} rows)`);
        continue;
      }
      const check = { con, catalogDir, partition, entry, sourceByName, examples, mismatches };
      const count = await verifyPartition(check);
      if (count === undefined) continue;
      rows += count;
      readable.push(partition);
    }
    const present = await verifySources(root, catalog.sources, mismatches, notes);
    await compareWithSources(con, { catalogDir, present, readable, listed, examples, mismatches }, {
      maxLineBytes: options.maxLineBytes,
    });
    return { mismatches, notes, partitions: listed.size, rows, sources: catalog.sources.length };
  } finally {
    engine.close();
    await removeTempDir(catalogDir);
  }
}

/** `_catalog.json` of `catalogDir`, or undefined after saying why it cannot be read. */
async function readCatalogManifest(
  catalogDir: string,
  mismatches: string[],
): Promise<CatalogManifest | undefined> {
  try {
    const catalog = await readManifest<CatalogManifest>(catalogManifestPath(catalogDir));
    if (catalog === undefined) mismatches.push(`_catalog.json: missing in ${catalogDir}`);
    return catalog;
  } catch (error) {
    mismatches.push(`_catalog.json: ${firstErrorLine(error)}`);
    return undefined;
  }
}

/** What {@linkcode verifyPartition} checks one partition with. */
interface PartitionCheck {
  readonly con: SqlConnection;
  readonly catalogDir: string;
  readonly partition: string;
  readonly entry: CatalogManifest["partitions"][number];
  readonly sourceByName: ReadonlyMap<string, CatalogManifest["sources"][number]>;
  readonly examples: number;
  readonly mismatches: string[];
}

/**
 * One partition against its manifest and `_catalog.json`: the file's size and hash, its rows,
 * per-symbol statistics, rows per source, duplicated run_ids. Returns its row count, or
 * undefined when its manifest or Parquet file cannot be read (its rows are then not compared).
 */
async function verifyPartition(check: PartitionCheck): Promise<number | undefined> {
  const { con, catalogDir, partition, entry, mismatches } = check;
  const file = join(catalogDir, partition, PARTITION_FILE);
  let manifest: PartitionManifest | undefined;
  try {
    manifest = await readManifest<PartitionManifest>(partitionManifestPath(catalogDir, partition));
  } catch (error) {
    mismatches.push(`${partition}/_manifest.json: ${firstErrorLine(error)}`);
  }
  if (manifest === undefined) {
    mismatches.push(`${partition}/_manifest.json: missing`);
    return undefined;
  }
  for (const key of ["bytes", "rows", "sha256"] as const) {
    if (manifest.parquet[key] !== entry[key]) {
      mismatches.push(
        `${partition}: _manifest.json says ${key} ${manifest.parquet[key]}, _catalog.json ` +
          `says ${entry[key]}`,
      );
    }
  }
  const digest = await digestFile(file).catch(() => undefined);
  if (digest === undefined) {
    mismatches.push(`${partition}/${PARTITION_FILE}: missing`);
    return undefined;
  }
  if (digest.bytes !== manifest.parquet.bytes) {
    mismatches.push(
      `${partition}/${PARTITION_FILE}: ${digest.bytes} bytes, manifest says ${manifest.parquet.bytes}`,
    );
  }
  if (digest.sha256 !== manifest.parquet.sha256) {
    mismatches.push(
      `${partition}/${PARTITION_FILE}: sha256 ${digest.sha256}, manifest says ` +
        manifest.parquet.sha256,
    );
  }
  try {
    const count = await countRows(con, file);
    if (count !== manifest.parquet.rows) {
      mismatches.push(`${partition}: ${count} rows, manifest says ${manifest.parquet.rows}`);
    }
    compareSymbols(partition, await symbolStats(con, file), manifest.symbols, mismatches);
    await verifyRowsPerSource(check, file, manifest);
    for (const [runId, n] of await duplicatedRunIds(con, file, check.examples)) {
      mismatches.push(`${partition}: run_id ${runId} appears ${n} times (a duplicated row)`);
    }
    return count;
  } catch (error) {
    mismatches.push(
      `${partition}/${PARTITION_FILE}: unreadable as Parquet: ${firstErrorLine(error)}`,
    );
    return undefined;
  }
}

/** A partition's rows per source file against its manifest's and `_catalog.json`'s sources. */
async function verifyRowsPerSource(
  check: PartitionCheck,
  file: string,
  manifest: PartitionManifest,
): Promise<void> {
  const { con, partition, sourceByName, mismatches } = check;
  const perSource = await rowsPerSource(con, file);
  for (const s of manifest.sources) {
    const got = perSource.get(s.file) ?? 0;
    if (got !== s.rows) {
      mismatches.push(`${partition}: ${got} rows from ${s.file}, manifest says ${s.rows}`);
    }
    const src = sourceByName.get(s.file);
    if (src === undefined) {
      mismatches.push(`${partition}: source ${s.file} is not in _catalog.json`);
    } else if (src.sha256 !== s.sha256 || src.bytes !== s.bytes || src.lines !== s.lines) {
      mismatches.push(`${partition}: source ${s.file} differs from its _catalog.json entry`);
    }
  }
  for (const [name] of perSource) {
    if (!manifest.sources.some((s) => s.file === name)) {
      mismatches.push(`${partition}: rows from ${name}, which its manifest does not list`);
    }
  }
}

/**
 * The source files the build read must still be there, byte for byte (bytes added after the
 * build are a note, not a mismatch). Returns the ones that can be read.
 */
async function verifySources(
  root: string,
  sources: CatalogManifest["sources"],
  mismatches: string[],
  notes: string[],
): Promise<{ path: string; name: string }[]> {
  const present: { path: string; name: string }[] = [];
  for (const source of sources) {
    const path = sourcePath(root, source.file);
    let digest;
    try {
      digest = await digestFile(path, source.bytes);
    } catch (error) {
      mismatches.push(`source ${source.file}: unreadable: ${firstErrorLine(error)}`);
      continue;
    }
    present.push({ path, name: source.file });
    if (digest.bytes < source.bytes) {
      mismatches.push(
        `source ${source.file}: truncated to ${digest.bytes} bytes; the catalog read ` +
          `${source.bytes}`,
      );
    } else if (digest.sha256 !== source.sha256) {
      mismatches.push(
        `source ${source.file}: sha256 ${digest.sha256}, manifest says ${source.sha256}`,
      );
    } else if (digest.lines !== source.lines) {
      mismatches.push(
        `source ${source.file}: ${digest.lines} lines, manifest says ${source.lines}`,
      );
    }
    if (digest.tailBytes > 0 && digest.bytes === source.bytes) {
      notes.push(
        `source ${source.file}: ${digest.tailBytes} bytes were added after the build ` +
          "(not in the catalog; catalog build takes them once the file is finished)",
      );
    }
  }
  return present;
}

/** What {@linkcode compareWithSources} compares. */
interface RowComparison {
  readonly catalogDir: string;
  readonly present: readonly { path: string; name: string }[];
  readonly readable: readonly string[];
  readonly listed: Map<string, CatalogManifest["partitions"][number]>;
  readonly examples: number;
  readonly mismatches: string[];
}

/** Stages the source records again and compares the readable partitions' rows with them. */
async function compareWithSources(
  con: SqlConnection,
  c: RowComparison,
  options: { readonly maxLineBytes?: number },
): Promise<void> {
  const writer = await StagingWriter.create(con, "staging");
  for (const { path, name } of c.present) {
    await stageSource(writer, path, name, { maxLineBytes: options.maxLineBytes });
  }
  writer.close();
  await firstOfEachRunId(con, "staging", "firsts");
  await con.run(`CREATE VIEW expected AS SELECT day, ${CATALOG_SELECT} FROM firsts`);
  const files = c.readable.map((p) => sqlString(join(c.catalogDir, p, PARTITION_FILE)));
  await con.run(
    files.length === 0
      ? `CREATE VIEW actual AS SELECT NULL::VARCHAR AS part, * FROM expected WHERE false`
      : `CREATE VIEW actual AS SELECT
           regexp_extract(filename, 'date=([0-9-]+)', 1) AS part, * EXCLUDE (filename)
         FROM read_parquet([${files.join(", ")}], filename = true, hive_partitioning = false)`,
  );
  try {
    await compareRows(con, [...c.readable], c.listed, c.examples, c.mismatches);
  } catch (error) {
    c.mismatches.push(`rows could not be compared with the sources: ${firstErrorLine(error)}`);
  }
}

/** Counts, run_id multisets and every value of each partition against the source records. */
async function compareRows(
  con: SqlConnection,
  readable: readonly string[],
  listed: ReadonlyMap<string, unknown>,
  examples: number,
  mismatches: string[],
): Promise<void> {
  const expectedDays = (await con.runAndReadAll(
    "SELECT day, count(*) FROM expected GROUP BY 1 ORDER BY 1",
  )).getRowsJS();
  for (const [day, n] of expectedDays) {
    const partition = `date=${day}`;
    if (!readable.includes(partition)) {
      mismatches.push(
        `${partition}: ${n} rows expected from the sources, ` +
          (listed.has(partition) ? "none readable in the catalog" : "not in the catalog"),
      );
    }
  }
  const report = async (
    sql: string,
    what: (partition: string, n: number, ids: string) => string,
  ) => {
    const rows = (await con.runAndReadAll(sql)).getRowsJS();
    for (const [part, n, ids] of rows) {
      const partition = `date=${part}`;
      if (!readable.includes(partition)) continue;
      mismatches.push(what(partition, Number(n), (ids as string[]).join(", ")));
    }
  };
  await report(
    `SELECT day, count(*), list(run_id ORDER BY run_id)[1:${examples}] FROM (
       SELECT day, run_id FROM expected EXCEPT ALL SELECT part, run_id FROM actual)
     GROUP BY 1 ORDER BY 1`,
    (p, n, ids) => `${p}: ${n} source records missing (run_id ${ids})`,
  );
  await report(
    `SELECT part, count(*), list(run_id ORDER BY run_id)[1:${examples}] FROM (
       SELECT part, run_id FROM actual EXCEPT ALL SELECT day, run_id FROM expected)
     GROUP BY 1 ORDER BY 1`,
    (p, n, ids) => `${p}: ${n} rows not in the source records (run_id ${ids})`,
  );
  const columns = catalogColumnNames();
  const differs = columns.map((c) => `a.${c} IS DISTINCT FROM e.${c}`).join(" OR ");
  const which = columns.map((c) => `CASE WHEN a.${c} IS DISTINCT FROM e.${c} THEN '${c}' END`);
  await report(
    `SELECT a.part, count(*), list(a.run_id || ' (' ||
       array_to_string(list_filter([${which.join(", ")}], x -> x IS NOT NULL), ', ') || ')'
       ORDER BY a.run_id)[1:${examples}]
     FROM actual a JOIN expected e
       ON a.source_file = e.source_file AND a.source_line = e.source_line AND a.part = e.day
     WHERE ${differs}
     GROUP BY 1 ORDER BY 1`,
    (p, n, ids) => `${p}: ${n} rows differ from their source records: ${ids}`,
  );
}

function compareSymbols(
  partition: string,
  got: readonly unknown[],
  claimed: readonly unknown[],
  mismatches: string[],
): void {
  const a = JSON.stringify(got);
  const b = JSON.stringify(claimed);
  if (a === b) return;
  const gotBy = new Map(got.map((s) => [JSON.stringify((s as { symbol: unknown }).symbol), s]));
  const claimedBy = new Map(
    claimed.map((s) => [JSON.stringify((s as { symbol: unknown }).symbol), s]),
  );
  for (const key of new Set([...gotBy.keys(), ...claimedBy.keys()])) {
    const x = JSON.stringify(gotBy.get(key));
    const y = JSON.stringify(claimedBy.get(key));
    if (x !== y) {
      mismatches.push(
        `${partition}: symbol ${key} figures ${x ?? "absent"}, manifest says ${y ?? "absent"}`,
      );
    }
  }
}
