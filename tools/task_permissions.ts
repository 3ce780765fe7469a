/**
 * The runtime flags of a deno.json task (permissions and V8 heap limits), with permission paths
 * made absolute against a project root. The tasks are the one place these are written down; tests
 * and the compile script derive from them.
 *
 * @module
 */

import { isAbsolute, resolve } from "node:path";

const PATH_SCOPED = ["--allow-read", "--allow-write"];

/**
 * The `--allow-*` and `--v8-flags=` flags of `task` in the deno.json text `configText`, with
 * relative permission paths resolved against `root` and `$PWD` (which deno task sets to the root)
 * replaced by `root` (deno task runs in the root; others run from anywhere).
 *
 * @example
 * ```ts
 * taskPermissionFlags('{"tasks":{"run":"deno run --allow-write=./data/observer main.ts"}}', "run", "/srv/qts");
 * // => ["--allow-write=/srv/qts/data/observer"]
 * ```
 */
export function taskPermissionFlags(configText: string, task: string, root: string): string[] {
  const config = JSON.parse(configText);
  const command: unknown = config.tasks?.[task];
  if (typeof command !== "string") {
    throw new Error(`deno.json: expected a task ${JSON.stringify(task)}, found none`);
  }
  return command.split(/\s+/)
    .filter((word) =>
      word.startsWith("--allow-") || word === "-A" || word === "--no-prompt" ||
      word.startsWith("--v8-flags=")
    )
    .map((word) => word.replaceAll("$PWD", root))
    .map((flag) => {
      const eq = flag.indexOf("=");
      if (eq < 0 || !PATH_SCOPED.includes(flag.slice(0, eq))) return flag;
      const paths = flag.slice(eq + 1).split(",").map((p) => isAbsolute(p) ? p : resolve(root, p));
      return `${flag.slice(0, eq)}=${paths.join(",")}`;
    });
}
