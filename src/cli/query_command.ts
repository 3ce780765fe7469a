/**
 * `observer.ts query "<SQL>"`: read-only SQL over the catalog's `records` view, printed as a
 * table, JSON or CSV.
 *
 * @module
 */

import { queryCatalog } from "../catalog/catalog_query.ts";
import { catalogDirectory } from "../catalog/catalog_schema.ts";
import { formatQueryResult, type QueryFormat } from "../catalog/query_output.ts";
import { printable } from "../io/printable.ts";
import { EXIT_OK, EXIT_USAGE } from "./exit_codes.ts";
import { writeAllSync } from "./stdio.ts";
import { errorMessage } from "../io/error_message.ts";

/** What `query` needs. */
export interface QueryCommandOptions {
  /** Project root. */
  readonly root: string;
  /** The SQL text. */
  readonly sql: string;
  /** Output format. */
  readonly format: QueryFormat;
}

/**
 * Runs the query and prints its rows; returns 0, or 2 for a refused or failing query (the
 * message on stderr says why) or a missing catalog.
 *
 * @example
 * ```ts
 * import { runQueryCommand } from "./query_command.ts";
 * await runQueryCommand({ root: "/srv/qts", sql: "SELECT count(*) FROM records", format: "csv" });
 * ```
 */
export async function runQueryCommand(options: QueryCommandOptions): Promise<number> {
  try {
    const result = await queryCatalog(catalogDirectory(options.root), options.sql);
    writeAllSync(Deno.stdout, formatQueryResult(result, options.format));
    return EXIT_OK;
  } catch (error) {
    const message = errorMessage(error);
    writeAllSync(Deno.stderr, `error: ${printable(message, 2000)}\n`);
    return EXIT_USAGE;
  }
}
