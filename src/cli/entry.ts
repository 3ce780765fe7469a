/**
 * What both entry scripts need to know about where they run: the project root and the
 * directory the user started `deno task` from.
 *
 * @module
 */

import { isAbsolute, resolve } from "node:path";
import { resolveProjectRoot } from "../paths.ts";
import type { CommandContext } from "./commands/context.ts";

/**
 * The project root of an entry script, from its `import.meta.dirname` (or the executable, in a
 * compiled binary). See {@linkcode resolveProjectRoot}.
 *
 * @example
 * ```ts
 * const root = entryRoot(import.meta.dirname);
 * ```
 */
export function entryRoot(moduleDir: string | undefined): string {
  return resolveProjectRoot({
    moduleDir,
    standalone: Deno.build.standalone,
    execPath: Deno.build.standalone ? Deno.execPath() : "",
  });
}

/**
 * Resolves paths the user typed: relative ones against `userCwd` (where `deno task` was started,
 * `INIT_CWD`) when it is known, else left for the process CWD.
 *
 * @example
 * ```ts
 * const userPath = userPathResolver("/home/me");
 * userPath("in.jsonl"); // => "/home/me/in.jsonl"
 * ```
 */
export function userPathResolver(userCwd: string | undefined): (path: string) => string {
  return (path) => userCwd !== undefined && !isAbsolute(path) ? resolve(userCwd, path) : path;
}

/** `INIT_CWD` when the process may read it (a plain `deno run` without --allow-env may not). */
export function initCwd(): string | undefined {
  return Deno.permissions.querySync({ name: "env", variable: "INIT_CWD" }).state === "granted"
    ? Deno.env.get("INIT_CWD")
    : undefined;
}

/**
 * What the commands get of the process itself, besides the root and the user's paths: the
 * environment, the standard streams and the exit for a second signal. Only the entry scripts
 * call this; commands read these through their context.
 *
 * @example
 * ```ts
 * import { entryRoot, initCwd, processContext, userPathResolver } from "./entry.ts";
 * const context = {
 *   root: entryRoot(import.meta.dirname),
 *   userPath: userPathResolver(initCwd()),
 *   ...processContext(),
 * };
 * ```
 */
export function processContext(): Omit<CommandContext, "root" | "userPath"> {
  return {
    env: (name) => Deno.env.get(name),
    stdin: Deno.stdin,
    stdout: Deno.stdout,
    stderr: Deno.stderr,
    forceExit: Deno.exit,
  };
}
