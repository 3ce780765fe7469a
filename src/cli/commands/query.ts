/**
 * `observer.ts query`: read-only SQL over the catalog (DuckDB, loaded only when the query runs).
 *
 * @module
 */

import { Option } from "commander";
import type { QueryFormat } from "../../catalog/query_output.ts";
import { catalogAccessProblem } from "../catalog_access.ts";
import type { Command, CommanderOption } from "../options.ts";
import { type CommandContext, fail } from "./context.ts";
import type { CommandHost } from "./program.ts";

/** The output flags of `query` and `catalog gaps`. */
export interface QueryFormatFlags {
  /** `--format`: `table`, `json` or `csv`. */
  format: string;
  /** `--json`: same as `--format json`. */
  json?: boolean;
  /** `--csv`: same as `--format csv`. */
  csv?: boolean;
}

/** Adds `--format`, `--json` and `--csv` (the output of the catalog's reports) to `command`. */
export function addQueryFormatOptions(command: Command): Command {
  const format: CommanderOption = new Option(
    "--format <format>",
    "output: a table, JSON (an array of objects) or CSV",
  ).choices(["table", "json", "csv"]).default("table");
  return command
    .addOption(format)
    .option("--json", "same as --format json")
    .option("--csv", "same as --format csv");
}

/**
 * The output format of {@linkcode QueryFormatFlags}: `--json` / `--csv` as shorthands of
 * `--format`.
 *
 * @example
 * ```ts
 * import { queryFormat } from "./query.ts";
 * queryFormat({ format: "table", csv: true }); // => "csv"
 * ```
 */
export function queryFormat(flags: QueryFormatFlags): QueryFormat {
  return (flags.json ? "json" : flags.csv ? "csv" : flags.format) as QueryFormat;
}

/** The exit code 2 after saying why the catalog cannot be used here, or undefined when it can. */
export function catalogAccessFailure(context: CommandContext): number | undefined {
  const access = catalogAccessProblem();
  return access === undefined ? undefined : fail(context, access);
}

/** Adds `query` to `program`. */
export function registerQuery(program: Command, host: CommandHost): void {
  addQueryFormatOptions(
    program.command("query")
      .description(
        "Run read-only SQL (DuckDB) over the catalog's `records` view (every partition; `date` " +
          "is a column) and print the rows (needs the query task: deno task query ...).",
      )
      .argument("<sql>", "one SELECT (or several; the last one's rows are printed)"),
  )
    .addHelpText(
      "after",
      "\nExit codes: 0 printed, 2 refused or failed query, or no catalog.\n\nExample:\n" +
        '  deno task query "SELECT symbol, count(*) FROM records GROUP BY 1"',
    )
    .exitOverride()
    .action(
      host.action((sql: string, flags: QueryFormatFlags) => runQuery(sql, flags, host.context)),
    );
}

/** Runs `query`: prints the rows; returns 0, or 2 for a refused or failing query. */
export async function runQuery(
  sql: string,
  flags: QueryFormatFlags,
  context: CommandContext,
): Promise<number> {
  const refused = catalogAccessFailure(context);
  if (refused !== undefined) return refused;
  const { runQueryCommand } = await import("../query_command.ts");
  return await runQueryCommand({ root: context.root, sql, format: queryFormat(flags) });
}
