/**
 * The `deno run` line of a deno.json task, runnable from any directory (absolute paths), with
 * extra read paths and network endpoints added to its fence.
 *
 * @module
 */

import { isAbsolute, join } from "node:path";
import { taskPermissionFlags } from "./task_permissions.ts";

/** The tasks that run one of the project's scripts under a permission fence. */
export const RUNNABLE_TASKS = ["run", "observer", "serve", "catalog", "query"] as const;

/** What one run needs beyond the task's own fence. */
export interface ExtraGrants {
  /** Absolute paths the run may read (files or directories). */
  readonly read: string[];
  /** `host:port` endpoints the run may connect to or listen on. */
  readonly net: string[];
}

const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** `word` as one POSIX shell word: as it is when it is safe, else in single quotes. */
export function shellWord(word: string): string {
  return SAFE_WORD.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** `flags` with `values` appended to the comma list of `name` (added when it is missing). */
function widen(flags: string[], name: string, values: readonly string[]): string[] {
  if (values.length === 0) return flags;
  const at = flags.findIndex((flag) => flag.startsWith(`${name}=`));
  if (at < 0) return [...flags, `${name}=${values.join(",")}`];
  const have = flags[at].slice(name.length + 1).split(",");
  const added = values.filter((value) => !have.includes(value));
  return flags.map((flag, i) => i === at ? [flag, ...added].join(",") : flag);
}

/**
 * The shell line running `task` of the deno.json text `configText` for the project at `root`,
 * with `grants` added to `--allow-read` and `--allow-net`; the caller appends the run's own
 * arguments.
 *
 * @example
 * ```ts
 * import { denoRunLine } from "./run_line.ts";
 * const deno = '{"tasks":{"observer":"deno run --no-prompt --allow-read=. observer.ts"}}';
 * denoRunLine(deno, "observer", "/srv/qts", { read: ["/data/in"], net: [] });
 * // => "deno run --no-prompt --allow-read=/srv/qts,/data/in /srv/qts/observer.ts"
 * ```
 */
export function denoRunLine(
  configText: string,
  task: string,
  root: string,
  grants: ExtraGrants,
): string {
  if (!(RUNNABLE_TASKS as readonly string[]).includes(task)) {
    throw new Error(`expected one of the tasks ${RUNNABLE_TASKS.join(", ")}, got ${task}`);
  }
  const words = (JSON.parse(configText).tasks[task] as string).split(/\s+/);
  const script = words.findIndex((word, i) => i > 1 && !word.startsWith("-"));
  const tail = words.slice(script).map((word, i) =>
    i === 0 && !isAbsolute(word) ? join(root, word) : word
  );
  let flags = taskPermissionFlags(configText, task, root);
  flags = widen(flags, "--allow-read", grants.read);
  flags = widen(flags, "--allow-net", grants.net);
  return ["deno", "run", ...flags, ...tail].map(shellWord).join(" ");
}
