/**
 * Whether this process may run the catalog commands: they load DuckDB, a native addon, which
 * needs `--allow-ffi` (the `catalog` and `query` tasks grant it; the other tasks do not). Kept
 * apart from the catalog modules so that checking never loads DuckDB.
 *
 * @module
 */

/**
 * Why the catalog commands cannot run here, or undefined when they can.
 *
 * @example
 * ```ts
 * import { catalogAccessProblem } from "./catalog_access.ts";
 * catalogAccessProblem(); // undefined under `deno task catalog`
 * ```
 */
export function catalogAccessProblem(): string | undefined {
  if (Deno.permissions.querySync({ name: "ffi" }).state === "granted") return undefined;
  return "the catalog commands load DuckDB, a native addon, and need --allow-ffi: run them as " +
    '`deno task catalog build|verify|gaps …` and `deno task query "<SQL>"` (see docs/catalog.md)';
}
