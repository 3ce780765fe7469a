/**
 * Catalog benchmark rows (issue 21): a simulated month of records (`--catalog-records` over
 * `--catalog-days` days, one JSONL file per day, records as `main.ts` writes them) is
 *
 * n. built into the catalog (records/s), against DuckDB's own bare conversion of the same files
 *    (`COPY (SELECT * FROM read_json_auto(files)) TO … (COMPRESSION zstd)`; target ≥ 0.70), with
 *    the record reader's own rate alone for context;
 * o. asked for one symbol's prices on one day (`observer.ts query`'s path: engine, view, SQL),
 *    against scanning the same JSONL with the project's record reader (target ≥ 20×);
 * p. measured on disk against the JSONL (target ≤ 0.15).
 *
 * Run alone: `deno run --allow-all bench/catalog_bench.ts [--records N] [--days D] [--rounds R]
 * [--workers W]`; or as part of `deno task bench` (flags `--catalog-records`, `--catalog-days`,
 * `--skip-catalog`). Row n is measured `--rounds` times (default 1), the build and the bare
 * conversion one after the other in each round, and each round's ratio is printed: on a shared
 * machine only the ratio within a round means something.
 *
 * @module
 */

import { join } from "node:path";
import { buildCatalog } from "../src/catalog/catalog_build.ts";
import { queryCatalog } from "../src/catalog/catalog_query.ts";
import { openCatalogEngine, sqlString } from "../src/catalog/duckdb_engine.ts";
import { buildPatternRecord, DEFAULT_RECORD_STAMP } from "../src/contract/pattern_record.ts";
import { enrichRecord } from "../src/observer/enrich.ts";
import { openRecordFile } from "../src/records/record_reader.ts";
import { sessionSnapshots } from "../src/runtime/qts_runtime.ts";
import { fmt } from "./bench_format.ts";

const SYMBOLS = ["005930", "000660", "035420", "051910", "005380", "068270", "035720", "207940"];

/** Sizes of the simulated month. */
export interface CatalogBenchOptions {
  /** Records in all (at least 3,000,000 for the figure). */
  readonly records: number;
  /** Days (one file each). */
  readonly days: number;
  /** Rounds of row n (build, then the bare conversion); default 1. */
  readonly rounds?: number;
  /** Parse workers of the build (its default when absent). */
  readonly workers?: number;
}

/** Writes `days` record files of `perDay` records each under `dir`; returns their paths. */
async function writeMonth(dir: string, perDay: number, days: number): Promise<string[]> {
  const encoder = new TextEncoder();
  const paths: string[] = [];
  for (let d = 0; d < days; d++) {
    const start = Date.UTC(2026, 0, 1 + d, 0, 0, 0);
    const path = join(dir, `sim_${new Date(start).toISOString().slice(0, 10)}.jsonl`);
    paths.push(path);
    using file = await Deno.open(path, { write: true, create: true, truncate: true });
    let chunk = "";
    let n = 0;
    const ticks = Math.ceil(perDay / SYMBOLS.length);
    const snapshots = sessionSnapshots({
      symbols: SYMBOLS,
      ticks,
      seed: d + 1,
      startMs: start,
      sessionId: `sim-${d}`,
      mode: "DEV",
    });
    for (const s of snapshots) {
      if (n++ >= perDay) break;
      const generatedAt = new Date(s.meta.timestamp_ms + 2).toISOString();
      const record = buildPatternRecord(s, DEFAULT_RECORD_STAMP, generatedAt);
      chunk += JSON.stringify(enrichRecord(record, DEFAULT_RECORD_STAMP)) + "\n";
      if (chunk.length > 1 << 20) {
        await file.write(encoder.encode(chunk));
        chunk = "";
      }
    }
    await file.write(encoder.encode(chunk));
  }
  return paths;
}

/** One round of row n: the build of every file, then DuckDB's bare conversion of them. */
async function timedRound(
  root: string,
  catalogDir: string,
  dataDir: string,
  files: readonly string[],
  workers: number | undefined,
) {
  let t = performance.now();
  const built = await buildCatalog({ root, catalogDir, inputs: [dataDir], workers });
  const buildSeconds = (performance.now() - t) / 1000;
  const bareDir = join(root, "bare");
  await Deno.mkdir(bareDir, { recursive: true });
  using engine = await openCatalogEngine({ allowedDir: root });
  t = performance.now();
  await engine.connection.run(
    `COPY (SELECT * FROM read_json_auto([${files.map(sqlString).join(", ")}],
       format = 'newline_delimited'))
     TO ${sqlString(join(bareDir, "all.parquet"))} (FORMAT parquet, COMPRESSION zstd)`,
  );
  const bareSeconds = (performance.now() - t) / 1000;
  const bareBytes = (await Deno.stat(join(bareDir, "all.parquet"))).size;
  await Deno.remove(bareDir, { recursive: true });
  return { added: built.added, buildSeconds, bareSeconds, bareBytes };
}

/** Row o: one symbol's prices on one day from the catalog, and by scanning the JSONL. */
async function symbolDay(
  catalogDir: string,
  files: readonly string[],
  symbol: string,
  day: string,
) {
  let t = performance.now();
  const answer = await queryCatalog(
    catalogDir,
    `SELECT event_time, price FROM records WHERE date = '${day}' AND symbol = '${symbol}'
     ORDER BY event_time`,
  );
  const querySeconds = (performance.now() - t) / 1000;
  t = performance.now();
  let found = 0;
  for (const file of files) {
    for await (const { record } of openRecordFile(file)) {
      const ms = record.snapshot.meta.timestamp_ms;
      if (
        record.snapshot.context.symbol === symbol &&
        new Date(ms).toISOString().slice(0, 10) === day
      ) found++;
    }
  }
  const scanSeconds = (performance.now() - t) / 1000;
  if (found !== answer.rows.length) {
    throw new Error(`catalog bench: query found ${answer.rows.length} rows, the scan ${found}`);
  }
  return { found, querySeconds, scanSeconds };
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    total += entry.isDirectory ? await dirBytes(path) : (await Deno.stat(path)).size;
  }
  return total;
}

/**
 * The catalog rows, as `[what, figure, comparison]` (the pipeline bench's table).
 *
 * @example
 * ```ts
 * import { catalogBenchRows } from "./catalog_bench.ts";
 * const rows = await catalogBenchRows({ records: 300_000, days: 30 });
 * ```
 */
export async function catalogBenchRows(
  options: CatalogBenchOptions,
): Promise<[string, string, string][]> {
  const root = await Deno.makeTempDir({ prefix: "qts-catalog-bench-" });
  try {
    const dataDir = join(root, "data", "observer");
    const catalogDir = join(dataDir, "catalog");
    await Deno.mkdir(dataDir, { recursive: true });
    const perDay = Math.ceil(options.records / options.days);
    let t = performance.now();
    const files = await writeMonth(dataDir, perDay, options.days);
    const genSeconds = (performance.now() - t) / 1000;
    const records = perDay * options.days;
    let jsonlBytes = 0;
    for (const f of files) jsonlBytes += (await Deno.stat(f)).size;
    console.error(
      `catalog bench: ${fmt(records)} records, ${fmt(jsonlBytes / 1e6, 0)} MB of JSONL in ` +
        `${options.days} files (generated in ${fmt(genSeconds, 1)} s)`,
    );

    // n. build against the engine's bare conversion (each round), and the reader alone.
    const rounds: { build: number; bare: number }[] = [];
    let bareBytes = 0;
    for (let round = 0; round < (options.rounds ?? 1); round++) {
      await Deno.remove(catalogDir, { recursive: true }).catch(() => {});
      const n = await timedRound(root, catalogDir, dataDir, files, options.workers);
      if (n.added !== records) throw new Error(`catalog bench: ${n.added} of ${records} added`);
      bareBytes = n.bareBytes;
      rounds.push({ build: records / n.buildSeconds, bare: records / n.bareSeconds });
      console.error(
        `catalog bench round ${round + 1}: build ${fmt(records / n.buildSeconds)} rec/s, bare ` +
          `${fmt(records / n.bareSeconds)} rec/s: ${fmt(n.bareSeconds / n.buildSeconds, 2)}`,
      );
    }
    const { build: buildRate, bare: bareRate } = rounds[rounds.length - 1];
    const ratios = rounds.map((r) => fmt(r.build / r.bare, 2)).join(", ");
    t = performance.now();
    let scanned = 0;
    for await (const _ of openRecordFile(files[0])) scanned++;
    const readerRate = scanned / ((performance.now() - t) / 1000);

    // o. one symbol, one day: the catalog against scanning the JSONL with the record reader.
    const day = new Date(Date.UTC(2026, 0, 1 + Math.floor(options.days / 2))).toISOString()
      .slice(0, 10);
    const symbol = SYMBOLS[1];
    const { found, querySeconds, scanSeconds } = await symbolDay(catalogDir, files, symbol, day);

    // p. size.
    const catalogBytes = await dirBytes(catalogDir);
    return [
      [
        `n. catalog build, ${fmt(records)} records (${
          fmt(jsonlBytes / 1e6)
        } MB JSONL, ${options.days} files)`,
        `${fmt(buildRate)} rec/s`,
        `vs DuckDB read_json_auto → Parquet ${fmt(bareRate)} rec/s: ${ratios} ` +
        `(per round; target ≥ 0.70); record reader alone ${fmt(readerRate)} rec/s`,
      ],
      [
        `o. one symbol-day (${symbol}, ${day}: ${fmt(found)} prices) from the catalog`,
        `${fmt(querySeconds * 1000, 0)} ms`,
        `vs scanning the JSONL with the record reader ${fmt(scanSeconds, 1)} s: ${
          fmt(scanSeconds / querySeconds, 0)
        }× (target ≥ 20×)`,
      ],
      [
        `p. catalog size (zstd, with record_line and JSON texts)`,
        `${fmt(catalogBytes / 1e6, 1)} MB`,
        `/ JSONL ${fmt(jsonlBytes / 1e6)} MB = ${
          fmt(catalogBytes / jsonlBytes, 3)
        } (aim ≤ 0.15); ` +
        `bare read_json_auto Parquet ${fmt(bareBytes / jsonlBytes, 3)}`,
      ],
    ];
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

if (import.meta.main) {
  const flag = (name: string, fallback: number) => {
    const i = Deno.args.indexOf(`--${name}`);
    return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
  };
  const workers = Deno.args.includes("--workers") ? flag("workers", 2) : undefined;
  const rows = await catalogBenchRows({
    records: flag("records", 3_000_000),
    days: flag("days", 30),
    rounds: flag("rounds", 1),
    workers,
  });
  const width = [0, 1, 2].map((k) => Math.max(...rows.map((r) => r[k].length)));
  for (const row of rows) {
    console.log(`| ${row.map((cell, k) => cell.padEnd(width[k])).join(" | ")} |`);
  }
}
