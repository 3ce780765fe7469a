/**
 * `observer.ts catalog build|verify|gaps`: the research catalog under `data/observer/catalog`
 * (see `catalog/`). Each command prints its findings on stdout, progress and skipped lines on
 * stderr, and returns an exit code.
 *
 * @module
 */

import { join } from "node:path";
import { buildCatalog, sourceName } from "../catalog/catalog_build.ts";
import { catalogGaps } from "../catalog/catalog_gaps.ts";
import { catalogDirectory } from "../catalog/catalog_schema.ts";
import { verifyCatalog } from "../catalog/catalog_verify.ts";
import { formatQueryResult, type QueryFormat } from "../catalog/query_output.ts";
import { loadConfig } from "../config/load_config.ts";
import { listLogFiles } from "../follow/log_files.ts";
import { printable } from "../io/printable.ts";
import { observerDataDir } from "../paths.ts";
import { EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE } from "./exit_codes.ts";
import { writeAllSync } from "./stdio.ts";
import { errorMessage } from "../io/error_message.ts";

function fail(error: unknown): number {
  const message = errorMessage(error);
  writeAllSync(Deno.stderr, `error: ${printable(message, 2000)}\n`);
  return EXIT_USAGE;
}

/** What `catalog build` needs. */
export interface CatalogBuildCommandOptions {
  /** Project root. */
  readonly root: string;
  /** Record files or directories the user named, resolved. */
  readonly inputs: readonly string[];
  /** `--config`, resolved: its jsonl sinks' record files are inputs too. */
  readonly configPath?: string;
  /** Longest line read. */
  readonly maxLineBytes: number;
}

/**
 * The record files of a configuration's `jsonl` sinks (each base's plain and rotated files in
 * `data/observer`), in sink order.
 *
 * @example
 * ```ts
 * import { configRecordFiles } from "./catalog_command.ts";
 * await configRecordFiles("/srv/qts", "/srv/qts/examples/config/fan_out.jsonc");
 * ```
 */
export async function configRecordFiles(root: string, configPath: string): Promise<string[]> {
  const config = await loadConfig(configPath);
  const dir = observerDataDir(root);
  const files: string[] = [];
  for (const sink of config.sinks) {
    if (sink.type !== "jsonl") continue;
    const base = sink.file.slice(0, -".jsonl".length);
    for (const name of await listLogFiles({ dir, base })) files.push(join(dir, name));
  }
  return files;
}

/**
 * Builds or extends the catalog and prints
 * `catalog: read=… unchanged=… skipped=… records=… added=… duplicates=… bad_lines=…
 * no_event_time=… partitions_written=… rows=… dir=…`. Returns 0; 1 when some lines were not
 * records, had no event time, or some files were still being written (left out); 2 for a bad
 * input or configuration.
 *
 * @example
 * ```ts
 * import { runCatalogBuild } from "./catalog_command.ts";
 * await runCatalogBuild({
 *   root: "/srv/qts",
 *   inputs: ["/srv/qts/data/observer"],
 *   maxLineBytes: 4 * 1024 * 1024,
 * }); // => 0
 * ```
 */
export async function runCatalogBuild(options: CatalogBuildCommandOptions): Promise<number> {
  const inputs = [...options.inputs];
  try {
    if (options.configPath !== undefined) {
      inputs.push(...await configRecordFiles(options.root, options.configPath));
    }
    if (inputs.length === 0) {
      throw new Error(
        "expected record files or directories (or --config with jsonl sinks), got none",
      );
    }
    for (const input of inputs) {
      await Deno.stat(input).catch((error) => {
        throw new Error(
          `cannot read ${printable(input)}: ${
            error instanceof Deno.errors.NotFound ? "no such file or directory" : error.message
          }`,
        );
      });
    }
  } catch (error) {
    return fail(error);
  }
  const dir = catalogDirectory(options.root);
  try {
    const result = await buildCatalog({
      root: options.root,
      catalogDir: dir,
      inputs,
      maxLineBytes: options.maxLineBytes,
      onEvent: (message) => writeAllSync(Deno.stderr, printable(message, 2000) + "\n"),
    });
    writeAllSync(
      Deno.stdout,
      `catalog: read=${result.sourcesRead.length} unchanged=${result.sourcesUnchanged.length} ` +
        `skipped=${result.skipped.length} records=${result.records} added=${result.added} ` +
        `duplicates=${result.duplicates} bad_lines=${result.badLines} ` +
        `no_event_time=${result.noEventTime} ` +
        `partitions_written=${result.partitionsWritten.length} rows=${result.totalRows} ` +
        `dir=${sourceName(options.root, dir)}\n`,
    );
    return result.badLines + result.noEventTime + result.skipped.length === 0
      ? EXIT_OK
      : EXIT_INCOMPLETE;
  } catch (error) {
    return fail(error);
  }
}

/**
 * Verifies the catalog: prints each mismatch on a line of its own, notes as `note: …`, then
 * `verify: ok …` or `verify: N mismatches …`. Returns 0 when whole, 1 with any mismatch.
 *
 * @example
 * ```ts
 * import { runCatalogVerify } from "./catalog_command.ts";
 * await runCatalogVerify({ root: "/srv/qts", maxLineBytes: 4 * 1024 * 1024 }); // => 0 or 1
 * ```
 */
export async function runCatalogVerify(
  options: { readonly root: string; readonly maxLineBytes: number },
): Promise<number> {
  try {
    const result = await verifyCatalog({
      root: options.root,
      catalogDir: catalogDirectory(options.root),
      maxLineBytes: options.maxLineBytes,
    });
    const lines = [
      ...result.mismatches.map((m) => printable(m, 2000)),
      ...result.notes.map((n) => `note: ${printable(n, 2000)}`),
    ];
    const figures = `partitions=${result.partitions} rows=${result.rows} sources=${result.sources}`;
    lines.push(
      result.mismatches.length === 0
        ? `verify: ok ${figures}`
        : `verify: ${result.mismatches.length} mismatches ${figures}`,
    );
    writeAllSync(Deno.stdout, lines.join("\n") + "\n");
    return result.mismatches.length === 0 ? EXIT_OK : EXIT_INCOMPLETE;
  } catch (error) {
    return fail(error);
  }
}

/** What `catalog gaps` needs. */
export interface CatalogGapsCommandOptions {
  /** Project root. */
  readonly root: string;
  /** `--min-seconds`. */
  readonly minSeconds: number;
  /** `--symbols`; all when empty. */
  readonly symbols: readonly string[];
  /** Output format. */
  readonly format: QueryFormat;
}

/**
 * Prints the gaps report; returns 0, or 2 when there is no catalog.
 *
 * @example
 * ```ts
 * import { runCatalogGaps } from "./catalog_command.ts";
 * await runCatalogGaps({ root: "/srv/qts", minSeconds: 300, symbols: [], format: "table" });
 * ```
 */
export async function runCatalogGaps(options: CatalogGapsCommandOptions): Promise<number> {
  try {
    const result = await catalogGaps(catalogDirectory(options.root), {
      minSeconds: options.minSeconds,
      symbols: options.symbols,
    });
    writeAllSync(Deno.stdout, formatQueryResult(result, options.format));
    return EXIT_OK;
  } catch (error) {
    return fail(error);
  }
}
