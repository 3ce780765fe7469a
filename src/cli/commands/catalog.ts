/**
 * `observer.ts catalog build|verify|gaps`: the research catalog under `data/observer/catalog`.
 * The commands' work (`../catalog_command.ts`, with DuckDB) is loaded only when one runs.
 *
 * @module
 */

import { parseList, parsePositiveInt } from "../flag_parsers.ts";
import { addInputOptions, type Command, type InputFlags } from "../options.ts";
import { STDIN_ARGUMENT } from "../inputs.ts";
import { type CommandContext, fail } from "./context.ts";
import type { CommandHost } from "./program.ts";
import {
  addQueryFormatOptions,
  catalogAccessFailure,
  queryFormat,
  type QueryFormatFlags,
} from "./query.ts";

/** The flags of `catalog build`. */
export interface CatalogBuildFlags extends InputFlags {
  /** `--config`: also take this configuration's record files. */
  config?: string;
}

/** The flags of `catalog gaps`. */
export interface CatalogGapsFlags extends QueryFormatFlags {
  /** `--min-seconds`: shortest gap reported. */
  minSeconds: number;
  /** `--symbols`: the symbols to list (default: all). */
  symbols?: string[];
}

/** Adds `catalog` with `build`, `verify` and `gaps` to `program`. */
export function registerCatalog(program: Command, host: CommandHost): void {
  const catalog = program.command("catalog")
    .description(
      "The research catalog under data/observer/catalog: Parquet partitions by event date " +
        "with manifests (needs the catalog task: deno task catalog ...; see docs/catalog.md).",
    )
    .exitOverride();
  registerBuild(catalog, host);
  registerVerify(catalog, host);
  registerGaps(catalog, host);
}

function registerBuild(catalog: Command, host: CommandHost): void {
  addInputOptions(catalog.command("build"))
    .description(
      "Add finished record files (rotated ones, or files no writer holds; never a line past " +
        "the last whole one) to the catalog: one zstd Parquet file per UTC event date, rows by " +
        "symbol then event time, manifests with sizes, line counts and SHA-256. Only dates " +
        "with new rows are rewritten; a run_id already in the catalog is not added again.",
    )
    .argument("[inputs...]", "record files or directories (their *.jsonl files)")
    .option("--config <file>", "also take the record files of this configuration's jsonl sinks")
    .addHelpText(
      "after",
      "\nExit codes: 0 built, 1 some lines not records or files still being written (left " +
        "out), 2 bad input or configuration.\n\nExample:\n  deno task catalog build data/observer",
    )
    .exitOverride()
    .action(
      host.action((inputs: string[], flags: CatalogBuildFlags) =>
        runCatalogBuildCommand(inputs, flags, host.context)
      ),
    );
}

function registerVerify(catalog: Command, host: CommandHost): void {
  addInputOptions(catalog.command("verify"))
    .description(
      "Recompute what the manifests claim (file sizes, SHA-256, rows, per-symbol figures) and " +
        "check every row against the source records; print every mismatch.",
    )
    .addHelpText(
      "after",
      "\nExit codes: 0 whole, 1 some mismatch (each printed), 2 no access.\n\nExample:\n" +
        "  deno task catalog verify",
    )
    .exitOverride()
    .action(host.action(async (flags: InputFlags) => {
      return await withCatalog(
        host.context,
        ({ runCatalogVerify }) =>
          runCatalogVerify({ root: host.context.root, maxLineBytes: flags.maxLineBytes }),
      );
    }));
}

function registerGaps(catalog: Command, host: CommandHost): void {
  addQueryFormatOptions(
    catalog.command("gaps")
      .description(
        "List, per symbol and UTC day, the stretches without records longer than " +
          "--min-seconds inside the recorded span.",
      )
      .option("--min-seconds <n>", "shortest gap reported, in seconds", parsePositiveInt, 60)
      .option("--symbols <list>", "comma-separated symbols (default: all)", parseList),
  )
    .addHelpText(
      "after",
      "\nExit codes: 0 listed, 2 no catalog.\n\nExample:\n" +
        "  deno task catalog gaps --min-seconds 300 --symbols 005930,000660",
    )
    .exitOverride()
    .action(host.action(async (flags: CatalogGapsFlags) => {
      return await withCatalog(host.context, ({ runCatalogGaps }) =>
        runCatalogGaps({
          root: host.context.root,
          minSeconds: flags.minSeconds,
          symbols: flags.symbols ?? [],
          format: queryFormat(flags),
        }));
    }));
}

/** Runs `catalog build` with its inputs (as typed) and flags; returns the exit code. */
export async function runCatalogBuildCommand(
  inputs: readonly string[],
  flags: CatalogBuildFlags,
  context: CommandContext,
): Promise<number> {
  if (inputs.includes(STDIN_ARGUMENT)) {
    return fail(
      context,
      `catalog build: ${STDIN_ARGUMENT} (standard input) is not taken: the catalog hashes its ` +
        "source files and reads them again (verify); expected finished record files or " +
        "directories",
    );
  }
  return await withCatalog(context, ({ runCatalogBuild }) =>
    runCatalogBuild({
      root: context.root,
      inputs: inputs.map(context.userPath),
      configPath: flags.config === undefined ? undefined : context.userPath(flags.config),
      maxLineBytes: flags.maxLineBytes,
    }));
}

/**
 * Runs `run` with the catalog's command module (loaded now: it brings DuckDB), or returns 2
 * after saying why the catalog cannot be used here.
 */
async function withCatalog(
  context: CommandContext,
  run: (commands: typeof import("../catalog_command.ts")) => Promise<number>,
): Promise<number> {
  const refused = catalogAccessFailure(context);
  if (refused !== undefined) return refused;
  return await run(await import("../catalog_command.ts"));
}
