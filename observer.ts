/**
 * observer.ts — the Observer on its own: records snapshot JSON lines from stdin or a file.
 *
 * Run with `deno task observer` (see README for flags and permissions).
 *
 * @module
 */

import { Command } from "commander";
import { resolve } from "node:path";
import { recordSnapshotLines } from "./src/app/record_snapshots.ts";
import {
  addCommonOptions,
  type CommonFlags,
  EXIT_USAGE,
  exitCodeOfParseError,
} from "./src/cli/options.ts";
import { runRecording } from "./src/cli/run_recording.ts";
import { synchronousCommanderOutput, writeAllSync } from "./src/cli/stdio.ts";
import { readLines } from "./src/io/line_reader.ts";
import { resolveProjectRoot } from "./src/paths.ts";
import { snapshotLines } from "./src/sources/snapshot_lines.ts";

interface RecordFlags extends CommonFlags {
  input?: string;
}

const root = resolveProjectRoot({
  moduleDir: import.meta.dirname,
  standalone: Deno.build.standalone,
  execPath: Deno.build.standalone ? Deno.execPath() : "",
});

/**
 * Where the user ran `deno task` from: relative --input paths are theirs, not the root's.
 * Read only when granted, so a plain `deno run` without --allow-env still works.
 */
const userCwd =
  Deno.permissions.querySync({ name: "env", variable: "INIT_CWD" }).state === "granted"
    ? Deno.env.get("INIT_CWD")
    : undefined;

const program = new Command("observer.ts")
  .description("The QTS Observer on its own.")
  .exitOverride()
  .configureOutput(synchronousCommanderOutput());

let exitCode: number | undefined;

addCommonOptions(
  program.command("record", { isDefault: true })
    .description(
      "Record snapshot JSON lines (one ObservationSnapshot per line, Python's NaN/Infinity " +
        "tokens accepted) from stdin or --input into data/observer/<file>. Lines that are not " +
        "snapshots are reported on stderr with their line number and skipped.",
    )
    .option("--input <path>", "read snapshot lines from this file instead of stdin"),
)
  .addHelpText(
    "after",
    "\nExit codes: 0 every line recorded, 1 some lines rejected/blocked/dropped/not written, " +
      "2 bad flags or unreadable input.",
  )
  .exitOverride()
  .action(async (flags: RecordFlags) => {
    let input: { readable: ReadableStream<Uint8Array>; name: string };
    if (flags.input !== undefined) {
      const path = userCwd !== undefined ? resolve(userCwd, flags.input) : flags.input;
      try {
        input = { readable: (await Deno.open(path)).readable, name: flags.input };
      } catch (error) {
        writeAllSync(Deno.stderr, `error: cannot read --input ${flags.input}: ${error}\n`);
        exitCode = EXIT_USAGE;
        return;
      }
    } else {
      input = { readable: Deno.stdin.readable, name: "stdin" };
    }
    exitCode = await runRecording({
      root,
      flags,
      forceExit: Deno.exit,
      feed: (observer, signal) =>
        recordSnapshotLines(observer, snapshotLines(readLines(input.readable, { signal })), {
          signal,
          onRejected: (line, reason) =>
            writeAllSync(Deno.stderr, `${input.name}:${line}: rejected: ${reason}\n`),
        }),
    });
  });

try {
  await program.parseAsync(Deno.args, { from: "user" });
} catch (error) {
  Deno.exit(exitCodeOfParseError(error));
}
Deno.exit(exitCode ?? 0);
