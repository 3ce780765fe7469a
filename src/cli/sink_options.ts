/**
 * The sink and logging flags of every recording command (`--file`, the sink tuning, `--config`,
 * `--follow-timeout`, `--log-level`), and their conversion into library options.
 *
 * @module
 */

import { InvalidArgumentError, Option } from "commander";
import { LOG_LEVELS, type LogLevelName } from "../log/logging.ts";
import { DEFAULT_RECORD_FILE } from "../paths.ts";
import { DEFAULT_FOLLOW_TIMEOUT_SECONDS } from "../app/follower_defaults.ts";
import { WHEN_FULL_POLICIES, type WhenFull } from "../sinks/batching_queue.ts";
import {
  FSYNC_POLICIES,
  type FsyncPolicy,
  type JsonlFileSinkTuning,
  SINK_DEFAULTS,
} from "../sinks/file_sink_tuning.ts";
import { parseNonNegativeInt, parsePositiveInt, parseQueueBytes } from "./flag_parsers.ts";
import type { Command } from "./options.ts";

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
 * import { addCommonOptions, sinkFlagsGiven } from "./sink_options.ts";
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
 * import { addCommonOptions, configFlags } from "./sink_options.ts";
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
