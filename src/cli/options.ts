/**
 * Command-line options shared by both entry scripts (commander), and their conversion into
 * library options. Parsers throw commander's `InvalidArgumentError` with what was expected.
 *
 * @module
 */

import type * as commander from "commander";
import { CommanderError, InvalidArgumentError, Option } from "commander";
import { LOG_LEVELS, type LogLevelName } from "../log/logging.ts";
import { DEFAULT_MODE } from "../contract/snapshot.ts";
import { DEFAULT_MAX_LINE_BYTES } from "../io/line_reader.ts";
import { DEFAULT_RECORD_FILE } from "../paths.ts";
import { DEFAULT_FOLLOW_TIMEOUT_SECONDS } from "../app/followers.ts";
import {
  MAX_TOTAL_QUEUE_BYTES,
  WHEN_FULL_POLICIES,
  type WhenFull,
} from "../sinks/batching_queue.ts";
import {
  FSYNC_POLICIES,
  type FsyncPolicy,
  type JsonlFileSinkTuning,
  SINK_DEFAULTS,
} from "../sinks/jsonl_file_sink.ts";

/**
 * commander's `Command`, as the option helpers take and return it. Named here so the public API
 * references an exported type (a plain re-export would make `deno doc --lint` check commander's
 * own declarations).
 */
export type Command = commander.Command;

/** commander's `Option` (an instance), as {@linkcode modeOption} returns it; see {@linkcode Command}. */
export type CommanderOption = commander.Option;

/**
 * Parses a positive integer flag value.
 *
 * @example
 * ```ts
 * parsePositiveInt("20"); // => 20
 * parsePositiveInt("0"); // throws InvalidArgumentError
 * ```
 */
export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n <= 0) {
    throw new InvalidArgumentError(`expected a positive integer, got ${JSON.stringify(value)}`);
  }
  return n;
}

/**
 * Parses a non-negative integer flag value (seeds).
 *
 * @example
 * ```ts
 * parseNonNegativeInt("0"); // => 0
 * ```
 */
export function parseNonNegativeInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError(`expected a whole number ≥ 0, got ${JSON.stringify(value)}`);
  }
  return n;
}

/**
 * Largest `--queue-bytes` the entry scripts accept: the tasks cap V8's old generation at 128 MB
 * (`--max-old-space-size=128` in deno.json), and a queue beyond this would not fit beside the
 * rest of the heap.
 */
export const MAX_QUEUE_BYTES_FLAG: number = MAX_TOTAL_QUEUE_BYTES;

/**
 * Parses `--queue-bytes`: a positive integer up to {@linkcode MAX_QUEUE_BYTES_FLAG}.
 *
 * @example
 * ```ts
 * parseQueueBytes("1048576"); // => 1048576
 * ```
 */
export function parseQueueBytes(value: string): number {
  const n = parsePositiveInt(value);
  if (n > MAX_QUEUE_BYTES_FLAG) {
    throw new InvalidArgumentError(
      `expected at most ${MAX_QUEUE_BYTES_FLAG} (the tasks cap the V8 heap at 128 MB), got ${n}`,
    );
  }
  return n;
}

/**
 * Largest `--max-line-bytes`: the default, 4 MiB. The densest JSON (`[{},{},...]`) grows about
 * ten times when parsed, and the tasks cap V8's old generation at 128 MB; 8 MiB lines of it were
 * seen to exhaust that heap, 4 MiB lines pass.
 */
export const MAX_LINE_BYTES_FLAG: number = DEFAULT_MAX_LINE_BYTES;

/**
 * Parses `--max-line-bytes`: a positive integer up to {@linkcode MAX_LINE_BYTES_FLAG}.
 *
 * @example
 * ```ts
 * import { parseMaxLineBytes } from "./options.ts";
 * parseMaxLineBytes("65536"); // => 65536
 * ```
 */
export function parseMaxLineBytes(value: string): number {
  const n = parsePositiveInt(value);
  if (n > MAX_LINE_BYTES_FLAG) {
    throw new InvalidArgumentError(
      `expected at most ${MAX_LINE_BYTES_FLAG} (what the tasks' 128 MB heap holds), got ${n}`,
    );
  }
  return n;
}

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

/** Most `--workers` accepted (each worker is a V8 isolate of its own, with its own heap). */
export const MAX_WORKERS = 64;

/**
 * Parses `--workers`: a positive integer up to {@linkcode MAX_WORKERS}.
 *
 * @example
 * ```ts
 * import { parseWorkers } from "./options.ts";
 * parseWorkers("2"); // => 2
 * ```
 */
export function parseWorkers(value: string): number {
  const n = parsePositiveInt(value);
  if (n > MAX_WORKERS) {
    throw new InvalidArgumentError(`expected at most ${MAX_WORKERS}, got ${n}`);
  }
  return n;
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

/** The sink and logging flags after parsing. */
export interface CommonFlags {
  /** `--file`: record file name inside `data/observer` (bare name ending in `.jsonl`). */
  file: string;
  /** `--fsync`: when written bytes are forced to disk. */
  fsync: FsyncPolicy;
  /** `--when-full`: what a full sink queue does with the next record. */
  whenFull: WhenFull;
  /** `--queue-bytes`: bound of the sink queue, in bytes of UTF-8 record lines. */
  queueBytes: number;
  /** `--flush-bytes`: write as soon as this many bytes are queued. */
  flushBytes: number;
  /** `--flush-interval-ms`: write queued records at most this many ms after they arrived. */
  flushIntervalMs: number;
  /** `--rotate-minutes`: start a new file every n minutes (UTC); absent when off. */
  rotateMinutes?: number;
  /** `--rotate-bytes`: rotate before a file would pass n bytes; absent when off. */
  rotateBytes?: number;
  /** `--keep`: with rotation, keep at most n rotated files; absent deletes none. */
  keep?: number;
  /** `--log-level`: lowest level logged to stderr. */
  logLevel: LogLevelName;
  /** `--config`: the configuration file (sinks, filters, sampling), as typed. */
  config?: string;
  /** `--follow-timeout`: seconds the end of a run waits for the log's followers. */
  followTimeout: number;
}

/** The `CommonFlags` keys that describe the one sink of a run without `--config`. */
const SINK_FLAG_KEYS: ReadonlySet<string> = new Set([
  "file",
  "fsync",
  "whenFull",
  "queueBytes",
  "flushBytes",
  "flushIntervalMs",
  "rotateMinutes",
  "rotateBytes",
  "keep",
]);

/**
 * The sink flags given on the command line (not defaults), e.g. `["--file", "--fsync"]`: with
 * `--config` they are an error, since the file describes the sinks.
 *
 * @example
 * ```ts
 * import { Command } from "commander";
 * import { addCommonOptions, sinkFlagsGiven } from "./options.ts";
 * const command = addCommonOptions(new Command("record")).exitOverride();
 * command.parse(["--file", "a.jsonl"], { from: "user" });
 * sinkFlagsGiven(command); // => ["--file"]
 * ```
 */
export function sinkFlagsGiven(command: Command): string[] {
  return command.options
    .filter((o) =>
      SINK_FLAG_KEYS.has(o.attributeName()) &&
      command.getOptionValueSource(o.attributeName()) === "cli"
    )
    .map((o) => o.long ?? o.flags);
}

/** Where the sinks of a recording come from: `--config`, checked against the sink flags. */
export interface ConfigFlags {
  /** The configuration file, resolved; absent without `--config`. */
  readonly configPath?: string;
  /** Sink flags given on the command line (an error beside `--config`). */
  readonly sinkFlagsGiven: readonly string[];
}

/**
 * `--config` resolved with `resolvePath` (paths are typed relative to where the user ran the
 * task), and the sink flags given beside it.
 *
 * @example
 * ```ts
 * import { Command } from "commander";
 * import { addCommonOptions, configFlags } from "./options.ts";
 * const command = addCommonOptions(new Command("record")).exitOverride();
 * command.parse(["--config", "c.jsonc"], { from: "user" });
 * configFlags(command, (p) => `/work/${p}`); // => { configPath: "/work/c.jsonc", sinkFlagsGiven: [] }
 * ```
 */
export function configFlags(command: Command, resolvePath: (path: string) => string): ConfigFlags {
  const config = command.opts<CommonFlags>().config;
  return {
    configPath: config === undefined ? undefined : resolvePath(config),
    sinkFlagsGiven: sinkFlagsGiven(command),
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

/**
 * Parses a comma-separated list, dropping blanks.
 *
 * @example
 * ```ts
 * parseList("005930, 000660,"); // => ["005930", "000660"]
 * ```
 */
export function parseList(value: string): string[] {
  return value.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
}

/**
 * Adds `--file`, the sink flags (`--fsync`, `--when-full`, `--queue-bytes`, `--flush-bytes`,
 * `--flush-interval-ms`, `--rotate-minutes`, `--rotate-bytes`, `--keep`), `--config` and
 * `--log-level`.
 */
export function addCommonOptions(command: Command, defaultFile = DEFAULT_RECORD_FILE): Command {
  return command
    .option(
      "--file <name>",
      "record file name inside data/observer (bare name ending in .jsonl)",
      defaultFile,
    )
    .addOption(
      new Option("--fsync <policy>", "when written bytes are forced to disk")
        .choices([...FSYNC_POLICIES]).default(SINK_DEFAULTS.fsync),
    )
    .addOption(
      new Option("--when-full <policy>", "what a full sink queue does with the next record")
        .choices([...WHEN_FULL_POLICIES]).default(SINK_DEFAULTS.whenFull),
    )
    .option(
      "--queue-bytes <n>",
      "bound of the sink queue, in bytes of UTF-8 record lines (at most 33554432)",
      parseQueueBytes,
      SINK_DEFAULTS.maxQueueBytes,
    )
    .option(
      "--flush-bytes <n>",
      "write as soon as this many bytes are queued",
      parsePositiveInt,
      SINK_DEFAULTS.flushBytes,
    )
    .option(
      "--flush-interval-ms <n>",
      "write queued records at most this long after they arrived",
      parsePositiveInt,
      SINK_DEFAULTS.flushIntervalMs,
    )
    .option(
      "--rotate-minutes <n>",
      "start a new file {base}_YYYYMMDD_HHMM.jsonl every n minutes (UTC; off by default)",
      parsePositiveInt,
    )
    .option(
      "--rotate-bytes <n>",
      "start a new rotated file before one would pass n bytes (off by default)",
      parsePositiveInt,
    )
    .option(
      "--keep <n>",
      "with rotation: delete the oldest rotated files beyond n",
      parsePositiveInt,
    )
    .option(
      "--config <file>",
      "sinks, filters and sampling from a JSON-with-comments file (see README, Configuration); " +
        "the file then replaces --file and the sink flags",
    )
    .option(
      "--follow-timeout <seconds>",
      "at the end, wait this long for network sinks (they follow the record log) to deliver " +
        "it all; past it exit 1 and print the `follow` command that finishes the job",
      parseNonNegativeInt,
      DEFAULT_FOLLOW_TIMEOUT_SECONDS,
    )
    .addOption(
      new Option("--log-level <level>", "lowest level logged to stderr")
        .choices([...LOG_LEVELS]).default("info"),
    );
}

/**
 * The sink tuning the common flags describe. Throws when `--keep` comes without rotation.
 */
export function sinkTuningFrom(flags: CommonFlags): JsonlFileSinkTuning {
  const rotating = flags.rotateMinutes !== undefined || flags.rotateBytes !== undefined;
  if (flags.keep !== undefined && !rotating) {
    throw new InvalidArgumentError(
      "--keep needs rotation: expected --rotate-minutes and/or --rotate-bytes as well",
    );
  }
  return {
    fsync: flags.fsync,
    whenFull: flags.whenFull,
    maxQueueBytes: flags.queueBytes,
    flushBytes: flags.flushBytes,
    flushIntervalMs: flags.flushIntervalMs,
    rotation: rotating
      ? { everyMinutes: flags.rotateMinutes, maxBytes: flags.rotateBytes, keep: flags.keep }
      : undefined,
  };
}

/** Exit code: the run finished and every input became a written record. */
export const EXIT_OK = 0;
/** Exit code: the run finished, but some input was rejected, blocked, dropped or not written. */
export const EXIT_INCOMPLETE = 1;
/** Exit code: bad flags or the pipeline could not start (bad --file, unreadable input, ...). */
export const EXIT_USAGE = 2;

/**
 * The exit code for an error thrown by commander's `parse()` (with `exitOverride()`): 0 after
 * `--help`, {@linkcode EXIT_USAGE} for bad flags (commander already printed why). Anything else
 * is printed to stderr first.
 */
export function exitCodeOfParseError(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  console.error(`error: ${error instanceof Error ? error.message : error}`);
  return EXIT_USAGE;
}
