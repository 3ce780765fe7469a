/**
 * Command-line options shared by the commands of both entry scripts (commander): line limits,
 * `--mode`, `--workers`, the script's own arguments and command suggestions. The number parsers
 * are in `flag_parsers.ts`, the sink flags in `sink_options.ts`, the exit codes in
 * `exit_codes.ts`.
 *
 * @module
 */

import type * as commander from "commander";
import { Option } from "commander";
import { DEFAULT_MODE } from "../contract/snapshot.ts";
import { DEFAULT_MAX_LINE_BYTES } from "../io/line_reader.ts";
import {
  MAX_LINE_BYTES_FLAG,
  MAX_WORKERS,
  parseMaxLineBytes,
  parseWorkers,
} from "./flag_parsers.ts";

/**
 * commander's `Command`, as the option helpers take and return it. Named here so the public API
 * references an exported type (a plain re-export would make `deno doc --lint` check commander's
 * own declarations).
 */
export type Command = commander.Command;

/** commander's `Option` (an instance), as {@linkcode modeOption} returns it; see {@linkcode Command}. */
export type CommanderOption = commander.Option;

/** The flags of every command that reads input lines. */
export interface InputFlags {
  /** `--max-line-bytes`: longest input line read, in bytes. */
  maxLineBytes: number;
}

/**
 * Adds `--max-line-bytes` (every command that reads lines).
 *
 * @example
 * ```ts
 * import { Command } from "commander";
 * import { addInputOptions } from "./options.ts";
 * addInputOptions(new Command("inspect"));
 * ```
 */
export function addInputOptions(command: Command): Command {
  return command.option(
    "--max-line-bytes <n>",
    `longest input line read, in bytes; a longer line is rejected with its number and the next ` +
      `one read (at most ${MAX_LINE_BYTES_FLAG})`,
    parseMaxLineBytes,
    DEFAULT_MAX_LINE_BYTES,
  );
}

/**
 * `--mode`: `meta.mode` of the snapshots the Observer makes itself (simulated market, market
 * archives). One definition for every command, default `DEV`.
 *
 * @example
 * ```ts
 * import { Command } from "commander";
 * import { modeOption } from "./options.ts";
 * new Command("replay").addOption(modeOption());
 * ```
 */
export function modeOption(): CommanderOption {
  return new Option(
    "--mode <mode>",
    "meta.mode of snapshots made by the Observer (simulated market, market archives), e.g. PROD",
  ).default(DEFAULT_MODE);
}

/**
 * `--workers`: how many workers record file inputs in parallel, in input order; `1` is the
 * single-thread path. Default: the number of cores (`cores`), at most {@linkcode MAX_WORKERS}.
 *
 * @example
 * ```ts
 * import { Command } from "commander";
 * import { workersOption } from "./options.ts";
 * new Command("replay").addOption(workersOption(navigator.hardwareConcurrency));
 * ```
 */
export function workersOption(cores: number): CommanderOption {
  return new Option(
    "--workers <n>",
    "workers recording file inputs (and the service's NDJSON bodies, consumed messages) in " +
      "parallel, written in input order (1: one thread); " +
      "only into a single JSONL sink without --rotate-bytes (else one thread)",
  ).argParser(parseWorkers).default(
    Math.min(MAX_WORKERS, Math.max(1, cores)),
    `the number of cores, ${cores}`,
  );
}

/** `--workers` after parsing: the count, and whether the user gave it. */
export interface WorkersFlag {
  /** Workers to record with (1: one thread). */
  readonly count: number;
  /** True when given on the command line: a run that cannot use it is then an error. */
  readonly required: boolean;
}

/**
 * The `--workers` of a parsed command (see {@linkcode workersOption}).
 *
 * @example
 * ```ts
 * import { Command } from "commander";
 * import { workersFlag, workersOption } from "./options.ts";
 * const command = new Command("replay").addOption(workersOption(2)).exitOverride();
 * command.parse(["--workers", "4"], { from: "user" });
 * workersFlag(command); // => { count: 4, required: true }
 * ```
 */
export function workersFlag(command: Command): WorkersFlag {
  return {
    count: command.opts<{ workers: number }>().workers,
    required: command.getOptionValueSource("workers") === "cli",
  };
}

/**
 * The script's own arguments: `deno task run -- --flag` passes the `--` through; drop it.
 *
 * @example
 * ```ts
 * scriptArgs(["--", "--replay", "a.jsonl"]); // => ["--replay", "a.jsonl"]
 * ```
 */
export function scriptArgs(args: readonly string[]): string[] {
  return args[0] === "--" ? args.slice(1) : [...args];
}

/**
 * Makes a mistyped command name an "unknown command" error with commander's "(Did you mean
 * ...?)" suggestion, on a program whose default command takes no arguments. commander suggests
 * only when no default command exists: with one (`observer.ts record`), any first word that is
 * not a command goes to the default command as its argument, and the user read "too many
 * arguments for 'record'". Returns `program`.
 *
 * @example
 * ```ts
 * import { Command } from "commander";
 * const program = suggestCommandsBeforeDefault(new Command("observer.ts"));
 * program.command("record", { isDefault: true });
 * program.command("inspect").argument("<files...>");
 * // observer.ts inpsect f => error: unknown command 'inpsect'
 * //                          (Did you mean inspect?)
 * ```
 */
export function suggestCommandsBeforeDefault(program: Command): Command {
  return program.hook("preSubcommand", (parent, command) => {
    // parent.args: the parent's operands, then what it could not parse (from the first unknown
    // option on, so an operand never comes first there).
    const first = parent.args[0];
    if (first === undefined || first.startsWith("-")) return;
    if (command.name() === first || command.aliases().includes(first)) return;
    if (command.registeredArguments.length > 0) return;
    // commander's own error (message, suggestion, exit override); not in its type declarations.
    const own = parent as unknown as { unknownCommand?: () => never };
    if (typeof own.unknownCommand === "function") own.unknownCommand();
    parent.error(`error: unknown command '${first}'`, { code: "commander.unknownCommand" });
  });
}
