/**
 * `deno task compile`: builds `bin/qts` (main.ts) and `bin/qts-observer` (observer.ts) with the
 * permission flags of the `run` and `observer` tasks embedded, their paths made absolute for
 * this checkout (a compiled binary resolves relative permission paths against its CWD).
 *
 * Usage: deno task compile [--dry-run]
 *
 * @module
 */

import { join, resolve } from "node:path";
import { taskPermissionFlags } from "./task_permissions.ts";

/** One binary to build. */
interface Target {
  readonly task: string;
  readonly entry: string;
  readonly output: string;
}

const TARGETS: readonly Target[] = [
  { task: "run", entry: "main.ts", output: "qts" },
  { task: "observer", entry: "observer.ts", output: "qts-observer" },
];

/**
 * Modules a binary loads only as Web Workers (parallel recording, followers), which `deno compile`
 * finds only when told.
 */
const WORKER_MODULES = ["src/parallel/chunk_worker.ts", "src/app/follower_worker.ts"];

/** The `deno compile` arguments for every binary of the project at `root`. */
export function compileCommands(configText: string, root: string): string[][] {
  return TARGETS.map((target) => [
    "compile",
    ...taskPermissionFlags(configText, target.task, root),
    ...WORKER_MODULES.flatMap((module) => ["--include", join(root, module)]),
    "--output",
    join(root, "bin", target.output),
    join(root, target.entry),
  ]);
}

if (import.meta.main) {
  const root = resolve(import.meta.dirname!, "..");
  const commands = compileCommands(await Deno.readTextFile(join(root, "deno.json")), root);
  const dryRun = Deno.args.includes("--dry-run");
  for (const args of commands) {
    console.log(`deno ${args.join(" ")}`);
    if (dryRun) continue;
    const { code } = await new Deno.Command("deno", { args }).spawn().status;
    if (code !== 0) {
      console.error(
        "error: deno compile failed; it downloads the denort runtime from Deno's server unless " +
          "DENORT_BIN points to a local denort binary (see README, Compiled binaries)",
      );
      Deno.exit(code);
    }
  }
}
