/**
 * observer.ts — the Observer on its own: records snapshot lines (stdin or a file), replays
 * record files / snapshot files / market archives, inspects record files and writes an HTML
 * report. Run with `deno task observer` (see README for commands, flags and permissions).
 *
 * @module
 */

import { Command, Option } from "commander";
import { resolve } from "node:path";
import { recordStream, replayFiles } from "./src/app/replay.ts";
import { effectiveConfig } from "./src/config/effective_config.ts";
import { loadConfig } from "./src/config/load_config.ts";
import { getObserverLogger } from "./src/log/logging.ts";
import { isLoopback } from "./src/server/bearer_token.ts";
import { parseListen, readToken } from "./src/cli/serve_options.ts";
import {
  DEFAULT_SERVE_PORT,
  SERVER_LIMITS,
  startObserverServer,
} from "./src/server/observer_server.ts";
import {
  addCommonOptions,
  addInputOptions,
  type CommonFlags,
  configFlags,
  EXIT_INCOMPLETE,
  EXIT_OK,
  EXIT_USAGE,
  exitCodeOfParseError,
  type InputFlags,
  modeOption,
  parseList,
  parseMaxLineBytes,
  parseNonNegativeInt,
  parsePositiveInt,
  scriptArgs,
  suggestCommandsBeforeDefault,
  workersFlag,
  workersOption,
} from "./src/cli/options.ts";
import { entryRoot, initCwd, userPathResolver } from "./src/cli/entry.ts";
import { type CheckedInputs, checkInputFiles } from "./src/cli/inputs.ts";
import { startProgress } from "./src/cli/progress.ts";
import { runRecordingCommand } from "./src/cli/recording_command.ts";
import { SHUTDOWN_SIGNALS_HELP } from "./src/cli/signals.ts";
import { runMergeCommand } from "./src/cli/merge_command.ts";
import { runFollowCommand } from "./src/cli/follow_command.ts";
import { catalogAccessProblem } from "./src/cli/catalog_access.ts";
import { DEFAULT_FOLLOW_TIMEOUT_SECONDS } from "./src/app/followers.ts";
import { LOG_LEVELS, type LogLevelName } from "./src/log/logging.ts";
import { instanceConfig, natsBlock, runStreamCreate } from "./src/cli/nats_commands.ts";
import type { NatsConfig } from "./src/config/config_schema.ts";
import { reportRejectedLine, synchronousCommanderOutput, writeAllSync } from "./src/cli/stdio.ts";
import { printable } from "./src/io/printable.ts";
import { outputFilePath, recordFilePath, serviceSocketPath } from "./src/paths.ts";
import { inspectRecordFiles } from "./src/records/inspect.ts";
import { formatInspectReport } from "./src/records/inspect_table.ts";
import { GENERATED_AT_CLOCKS, type GeneratedAtClock } from "./src/observer/observer.ts";
import { collectReportData } from "./src/report/report_data.ts";
import { renderReportHtml } from "./src/report/report_html.ts";
import { INPUT_FORMATS, type InputFormat } from "./src/sources/snapshot_inputs.ts";

const root = entryRoot(import.meta.dirname);

/** Paths the user typed are relative to where they ran `deno task`, not to the root. */
const userPath = userPathResolver(initCwd());

function fail(message: string): number {
  writeAllSync(Deno.stderr, `error: ${message}\n`);
  return EXIT_USAGE;
}

/**
 * The user's input paths, resolved and checked (readable regular files), or undefined after
 * reporting the first that is not (exit code 2). Nothing is opened for writing before this.
 */
async function inputsOrFail(files: string[]): Promise<CheckedInputs | undefined> {
  try {
    return await checkInputFiles(files.map(userPath));
  } catch (error) {
    exitCode = fail(error instanceof Error ? error.message : String(error));
    return undefined;
  }
}

function progressFor(label: string, totalBytes: number) {
  return startProgress({ label, totalBytes, enabled: Deno.stderr.isTerminal() });
}

const formatOption = () =>
  new Option("--format <format>", "input format; auto looks at the first line of each file")
    .choices([...INPUT_FORMATS]).default("auto");

let exitCode = EXIT_OK;

const program = new Command("observer.ts")
  .description("The QTS Observer on its own.")
  .addHelpText(
    "after",
    "\nWithout a command, observer.ts records (see `observer.ts record --help`).\n" +
      "Inputs outside the project need read access: see README, Permissions.",
  )
  .exitOverride()
  .configureOutput(synchronousCommanderOutput());
suggestCommandsBeforeDefault(program);

interface RecordFlags extends CommonFlags, InputFlags {
  input?: string;
}

addInputOptions(addCommonOptions(
  program.command("record", { isDefault: true })
    .description(
      "Record snapshot JSON lines (one ObservationSnapshot per line, Python's NaN/Infinity " +
        "tokens accepted) from stdin or --input into data/observer/<file>. Lines that are not " +
        "snapshots are reported on stderr with their line number and skipped.",
    )
    .option("--input <path>", "read snapshot lines from this file instead of stdin")
    .addOption(workersOption(navigator.hardwareConcurrency)),
))
  .addHelpText(
    "after",
    "\nExit codes: 0 every line recorded, 1 some lines rejected/blocked/dropped/not written, " +
      `2 bad flags or unreadable input.\n\n${SHUTDOWN_SIGNALS_HELP}\n\nExample:\n` +
      "  python3 examples/producer.py | deno task observer",
  )
  .exitOverride()
  .action(async (flags: RecordFlags, command: Command) => {
    let inputs: CheckedInputs | undefined;
    const workers = workersFlag(command);
    if (flags.input === undefined && workers.required && workers.count > 1) {
      exitCode = fail(
        `--workers ${workers.count}: standard input is read by one thread; expected ` +
          "--input <file> (see README, Parallel recording)",
      );
      return;
    }
    if (flags.input !== undefined) {
      inputs = await inputsOrFail([flags.input]);
      if (inputs === undefined) return;
    } else if (Deno.stdin.isTerminal()) {
      writeAllSync(
        Deno.stderr,
        "reading snapshot lines from the terminal; end with Ctrl+D (see --help)\n",
      );
    }
    exitCode = await runRecordingCommand({
      root,
      flags,
      ...configFlags(command, userPath),
      pipeline: { workers: inputs === undefined ? undefined : workers },
      forceExit: Deno.exit,
      feed: (observer, signal, deadLetters, pipeline) => {
        const options = {
          format: "snapshots",
          signal,
          deadLetters,
          maxLineBytes: flags.maxLineBytes,
          onRejected: reportRejectedLine,
        } as const;
        return inputs === undefined
          ? recordStream(observer, "stdin", Deno.stdin.readable, options)
          : replayFiles(observer, inputs.paths, { ...options, parallel: pipeline.parallel });
      },
    });
  });

interface ReplayFlags extends CommonFlags, InputFlags {
  format: InputFormat;
  clock: GeneratedAtClock;
  mode: string;
}

addInputOptions(addCommonOptions(
  program.command("replay")
    .description(
      "Feed the snapshots of record files, snapshot files or KIS track_a_swing market archives " +
        "through a fresh pipeline into a new record file (refused if it already exists).",
    )
    .argument("<files...>", "inputs, replayed in order")
    .addOption(formatOption())
    .addOption(
      new Option(
        "--clock <clock>",
        "generated_at: wall clock, or each snapshot's own time " +
          "(deterministic: the same input gives a byte-identical file)",
      )
        .choices([...GENERATED_AT_CLOCKS]).default("wall"),
    )
    .addOption(modeOption())
    .addOption(workersOption(navigator.hardwareConcurrency)),
  "replay.jsonl",
))
  .addHelpText(
    "after",
    "\nExit codes as for record.\n\nExamples:\n" +
      "  deno task observer replay --clock snapshot --file again.jsonl data/observer/observer.jsonl\n" +
      "  deno task observer replay --format kis-swing --file kis.jsonl tests/fixtures/kis-swing-20260126.jsonl",
  )
  .exitOverride()
  .action(async (files: string[], flags: ReplayFlags, command: Command) => {
    const inputs = await inputsOrFail(files);
    if (inputs === undefined) return;
    const { paths, totalBytes } = inputs;
    try {
      const out = recordFilePath(root, flags.file);
      if ((await Deno.stat(out).then((s) => s.size, () => 0)) > 0) {
        exitCode = fail(
          `${out} already exists: replay writes a new record file; choose another --file`,
        );
        return;
      }
    } catch (error) {
      exitCode = fail(error instanceof Error ? error.message : String(error));
      return;
    }
    const progress = progressFor("replay", totalBytes);
    exitCode = await runRecordingCommand({
      root,
      flags,
      ...configFlags(command, userPath),
      forceExit: Deno.exit,
      pipeline: { generatedAt: flags.clock, workers: workersFlag(command) },
      feed: async (observer, signal, deadLetters, pipeline) => {
        try {
          return await replayFiles(observer, paths, {
            parallel: pipeline.parallel,
            format: flags.format,
            mode: flags.mode,
            signal,
            deadLetters,
            maxLineBytes: flags.maxLineBytes,
            onBytes: (n) => progress.add(n),
            onRejected: reportRejectedLine,
            onTornTail: (bad) =>
              writeAllSync(
                Deno.stderr,
                printable(`${bad.file}:${bad.line}: ${bad.reason}`, 2000) + "\n",
              ),
          });
        } finally {
          progress.stop();
        }
      },
    });
  });

addInputOptions(program.command("inspect"))
  .description(
    "Summarize record files: records per symbol, source and stage, first and last event time, " +
      "guard actions and quality flags, schema versions, bad lines. A dead-letter file " +
      "(*.rejected.jsonl) is read as one: its entries counted by kind, reason and input.",
  )
  .argument("<files...>", "record files (dead-letter files too)")
  .option("--json", "print the summary as JSON for scripts")
  .addHelpText(
    "after",
    "\nExit codes: 0 no bad lines, 1 some bad lines or a torn last line, 2 unreadable input." +
      "\n\nExample:\n  deno task observer inspect data/observer/observer.jsonl",
  )
  .exitOverride()
  .action(async (files: string[], flags: InputFlags & { json?: boolean }) => {
    const inputs = await inputsOrFail(files);
    if (inputs === undefined) return;
    const { paths, totalBytes } = inputs;
    const progress = progressFor("inspect", totalBytes);
    const report = await inspectRecordFiles(paths, {
      onBytes: (n) => progress.add(n),
      maxLineBytes: flags.maxLineBytes,
    });
    progress.stop();
    writeAllSync(
      Deno.stdout,
      (flags.json ? JSON.stringify(report, null, 2) : formatInspectReport(report)) + "\n",
    );
    const torn = report.files.some((f) => f.tornTail !== undefined);
    exitCode = report.badLines > 0 || torn ? EXIT_INCOMPLETE : EXIT_OK;
  });

interface ReportFlags extends InputFlags {
  out: string;
  symbols?: string[];
  interval?: number;
  format: InputFormat;
  mode: string;
}

addInputOptions(program.command("report"))
  .description(
    "Write one self-contained HTML report under data/observer (charts: OHLC candles with volume " +
      "per bar for the most recorded symbols, records per bar from zero, blocked/rejected and " +
      "quality-flag counts in panels of their own, coverage and gaps per symbol). Opens " +
      "without a network.",
  )
  .argument("<files...>", "record files, snapshot files or market archives")
  .option("--out <name>", "report file name inside data/observer (ending in .html)", "report.html")
  .option(
    "--symbols <list>",
    "comma-separated symbols to chart (default: the 4 most recorded)",
    parseList,
  )
  .option(
    "--interval <seconds>",
    "bar interval in seconds (default: chosen from the span, at most 300 bars)",
    parsePositiveInt,
  )
  .addOption(formatOption())
  .addOption(modeOption())
  .addHelpText(
    "after",
    "\nExit codes: 0 written, 2 bad flags or unreadable input.\n\nExample:\n" +
      "  deno task observer report --symbols 005930,000660 data/observer/observer.jsonl",
  )
  .exitOverride()
  .action(async (files: string[], flags: ReportFlags) => {
    let out: string;
    try {
      out = outputFilePath(root, flags.out, ".html");
    } catch (error) {
      exitCode = fail(error instanceof Error ? error.message : String(error));
      return;
    }
    const inputs = await inputsOrFail(files);
    if (inputs === undefined) return;
    const { paths, totalBytes } = inputs;
    const progress = progressFor("report", totalBytes);
    const data = await collectReportData(paths, {
      symbols: flags.symbols,
      interval: flags.interval,
      format: flags.format,
      mode: flags.mode,
      maxLineBytes: flags.maxLineBytes,
      onBytes: (n) => progress.add(n),
    });
    progress.stop();
    await Deno.mkdir(resolve(out, ".."), { recursive: true });
    await Deno.writeTextFile(out, renderReportHtml(data));
    writeAllSync(Deno.stdout, `report: ${out}\n`);
  });

interface ServeFlags extends CommonFlags {
  listen: string;
  tokenEnv?: string;
  tokenFile?: string;
  maxBodyBytes: number;
  maxLines: number;
  maxLineBytes: number;
  maxConcurrentRequests: number;
  backpressureWaitMs: number;
  headerTimeoutMs: number;
  bodyTimeoutMs: number;
  maxConnectionsPerClient: number;
  openMetrics?: boolean;
}

addCommonOptions(
  program.command("serve")
    .description(
      "Run the Observer as an HTTP service: POST /v1/snapshots (snapshot JSON lines, gzip " +
        "accepted), GET /healthz, /readyz, /v1/status. Records go to the sinks as configured.",
    )
    .option("--listen <host:port>", "address to listen on", `127.0.0.1:${DEFAULT_SERVE_PORT}`)
    .addOption(workersOption(navigator.hardwareConcurrency))
    .option(
      "--token-env <name>",
      "environment variable holding the bearer token (every route but /healthz, /readyz and the " +
        "dashboard's page)",
    )
    .option(
      "--token-file <path>",
      "file holding the bearer token (every route but /healthz, /readyz and the dashboard's page)",
    )
    .option(
      "--max-body-bytes <n>",
      "largest request body, decompressed (413 beyond)",
      parsePositiveInt,
      SERVER_LIMITS.maxBodyBytes,
    )
    .option(
      "--max-lines <n>",
      "most lines in one request (413 beyond)",
      parsePositiveInt,
      SERVER_LIMITS.maxLines,
    )
    .option(
      "--max-line-bytes <n>",
      "longest line; a longer one is rejected, the others recorded",
      parseMaxLineBytes,
      SERVER_LIMITS.maxLineBytes,
    )
    .option(
      "--max-concurrent-requests <n>",
      "ingest requests handled at once (503 with Retry-After beyond)",
      parsePositiveInt,
      SERVER_LIMITS.maxConcurrentRequests,
    )
    .option(
      "--backpressure-wait-ms <n>",
      "how long a request waits for room in full sink queues before 503 (nothing recorded)",
      parsePositiveInt,
      SERVER_LIMITS.backpressureWaitMs,
    )
    .option(
      "--header-timeout-ms <n>",
      "time a connection has to send its request headers before it is closed",
      parsePositiveInt,
      SERVER_LIMITS.headerTimeoutMs,
    )
    .option(
      "--body-timeout-ms <n>",
      "time an ingest request has to send its whole body once its headers came (408 beyond)",
      parsePositiveInt,
      SERVER_LIMITS.bodyTimeoutMs,
    )
    .option(
      "--max-connections-per-client <n>",
      "connections open at once from one client address (503 beyond)",
      parsePositiveInt,
      SERVER_LIMITS.maxConnectionsPerClient,
    )
    .option(
      "--open-metrics",
      "with a token set, leave GET /metrics open too (for a scraper on loopback)",
    ),
)
  .addHelpText(
    "after",
    "\nExit codes: 0 stopped cleanly with every snapshot recorded, 1 some lines rejected/blocked/" +
      "dropped/not written, 2 bad flags, a token missing where required, or no permission to " +
      `listen.\n\n${SHUTDOWN_SIGNALS_HELP}\n\nExample:\n  deno task serve`,
  )
  .exitOverride()
  .action(async (flags: ServeFlags, command: Command) => {
    let listen: { hostname: string; port: number };
    let token: string | undefined;
    let socketPath: string;
    try {
      listen = parseListen(flags.listen);
      socketPath = serviceSocketPath(root, listen.port);
      token = await readToken(flags, userPath);
      if (token === undefined && !isLoopback(listen.hostname)) {
        throw new Error(
          `--listen ${flags.listen}: expected --token-env or --token-file to listen beyond this ` +
            "machine (only loopback addresses may go without a token)",
        );
      }
      const needed = [`${listen.hostname}:${listen.port}`, `unix:${socketPath}`];
      const missing = needed.filter((host) =>
        Deno.permissions.querySync({ name: "net", host }).state !== "granted"
      );
      if (missing.length > 0) {
        throw new Error(
          `--listen ${flags.listen}: no permission to listen there (the service listens on the ` +
            `address and, behind its connection guard, on a Unix socket); the serve task grants ` +
            `127.0.0.1:${DEFAULT_SERVE_PORT}: run deno with --allow-net=${needed.join(",")}`,
        );
      }
    } catch (error) {
      exitCode = fail(error instanceof Error ? error.message : String(error));
      return;
    }
    exitCode = await runRecordingCommand({
      root,
      flags,
      ...configFlags(command, userPath),
      // The live stream may ask for blocked snapshots (guard=BLOCK); file sinks still pass them
      // over unless their filter asks.
      pipeline: { dispatchBlocked: true, workers: workersFlag(command) },
      forceExit: Deno.exit,
      feed: async (_observer, signal, _deadLetters, pipeline) => {
        const server = await startObserverServer({
          pipeline,
          ...listen,
          socketPath,
          token,
          openMetrics: flags.openMetrics === true,
          limits: flags,
          logger: getObserverLogger("server"),
        });
        await new Promise<void>((resolve) => {
          if (signal.aborted) resolve();
          signal.addEventListener("abort", () => resolve(), { once: true });
        });
        await server.shutdown();
        return { rejected: server.rejected };
      },
    });
  });

addInputOptions(program.command("merge"))
  .description(
    "Combine record files (e.g. the <base>.<instance>.jsonl files of several consume " +
      "processes) into one new record file, ordered by event time then run_id, with " +
      "duplicates by run_id dropped; streams with memory bounded by the number of sorted " +
      "stretches in the inputs (at most 256).",
  )
  .argument("<files...>", "record files")
  .option("--file <name>", "output file name inside data/observer (a new one)", "merged.jsonl")
  .addOption(
    new Option("--log-level <level>", "lowest level logged to stderr")
      .choices([...LOG_LEVELS]).default("warning"),
  )
  .addHelpText(
    "after",
    "\nExit codes: 0 merged, 1 some input lines were not records, 2 the output exists, an " +
      "input is unreadable or too disordered.\n\nExample:\n" +
      "  deno task observer merge --file all.jsonl data/observer/consumed.a.jsonl data/observer/consumed.b.jsonl",
  )
  .exitOverride()
  .action(async (files: string[], flags: InputFlags & { file: string; logLevel: LogLevelName }) => {
    const inputs = await inputsOrFail(files);
    if (inputs === undefined) return;
    exitCode = await runMergeCommand({
      root,
      file: flags.file,
      paths: inputs.paths,
      maxLineBytes: flags.maxLineBytes,
      logLevel: flags.logLevel,
    });
  });

interface ConsumeFlags extends CommonFlags {
  instance: string;
}

addCommonOptions(
  program.command("consume")
    .description(
      "Record snapshots pulled from a durable NATS JetStream consumer (the --config file's " +
        '"nats" block) into the configured sinks; each message is acked once its record is ' +
        "written (and synced under fsync always). Several processes may share the consumer: " +
        "each writes <base>.<instance>.jsonl.",
    )
    .option(
      "--instance <name>",
      "this process's name among the consumers (1 to 32 letters, digits, _ or -); record " +
        "files are named <base>.<instance>.jsonl",
      "1",
    )
    .addOption(workersOption(navigator.hardwareConcurrency)),
)
  .addHelpText(
    "after",
    "\nSIGTERM stops pulling, records and acks what was pulled, drains and exits.\n" +
      "Exit codes: as for record; 2 also without a nats block or with no access to its servers." +
      "\n\nExample:\n  deno task observer consume --config examples/config/nats_consume.jsonc --instance a",
  )
  .exitOverride()
  .action(async (flags: ConsumeFlags, command: Command) => {
    let nats: NatsConfig | undefined;
    exitCode = await runRecordingCommand({
      root,
      flags,
      ...configFlags(command, userPath),
      pipeline: { workers: workersFlag(command) },
      forceExit: Deno.exit,
      followArgs: ["--instance", flags.instance],
      configure: async (config) => {
        nats = await natsBlock(config, "consume");
        return instanceConfig(config!, flags.instance);
      },
      feed: async (_observer, signal, _deadLetters, pipeline) => {
        const { consumeIntoPipeline } = await import("./src/app/consume.ts");
        const result = await consumeIntoPipeline(pipeline, {
          servers: nats!.servers,
          stream: nats!.stream.name,
          consumer: nats!.consumer,
          instance: flags.instance,
          signal,
          logger: getObserverLogger("consume"),
        });
        writeAllSync(
          Deno.stdout,
          `consume: snapshots=${result.snapshots} rejected=${result.rejected} ` +
            `acked=${result.acked} redelivered=${result.redelivered} unacked=${result.unacked} ` +
            `stream=${nats!.stream.name} consumer=${nats!.consumer.durable} ` +
            `instance=${flags.instance}\n`,
        );
        // What the sinks let go of was left unacked: the stream delivers it again.
        return { rejected: result.rejected, redeliversLetGo: true };
      },
    });
  });

program.command("follow")
  .description(
    "Deliver what the network sinks of a configuration (postgres) have not yet delivered from " +
      "its record log, each from its checkpoint in data/observer, and exit once caught up; " +
      "--watch keeps following a live log until Ctrl+C or SIGTERM.",
  )
  .requiredOption("--config <file>", "configuration file with the sinks to follow")
  .option("--watch", "keep following the log as it grows (like tail -F, with checkpoints)")
  .option(
    "--instance <name>",
    "the consume instance whose log to follow (its files are <base>.<instance>.jsonl)",
  )
  .option(
    "--follow-timeout <seconds>",
    "without --watch: give up (exit 1) after this long if not caught up",
    parseNonNegativeInt,
    DEFAULT_FOLLOW_TIMEOUT_SECONDS,
  )
  .addOption(
    new Option("--log-level <level>", "lowest level logged to stderr")
      .choices([...LOG_LEVELS]).default("info"),
  )
  .addHelpText(
    "after",
    "\nExit codes: 0 every follower caught up, 1 some stopped behind (run again: each resumes " +
      "at its checkpoint), 2 bad file, nothing to follow, or a follower running elsewhere." +
      "\n\nExample:\n  deno task observer follow --config examples/config/postgres.jsonc",
  )
  .exitOverride()
  .action(
    async (
      flags: {
        config: string;
        watch?: boolean;
        instance?: string;
        followTimeout: number;
        logLevel: LogLevelName;
      },
    ) => {
      exitCode = await runFollowCommand({
        root,
        configPath: userPath(flags.config),
        instance: flags.instance,
        watch: flags.watch ?? false,
        timeoutSeconds: flags.followTimeout,
        logLevel: flags.logLevel,
        forceExit: Deno.exit,
      });
    },
  );

program.command("stream")
  .description("Work with the NATS JetStream stream of a configuration (see README, NATS).")
  .exitOverride()
  .command("create")
  .description(
    'Create the stream of the --config file\'s "nats" block with its explicit limits ' +
      "(subjects, storage, retention, max age and bytes, duplicate window, replicas), or " +
      "update it to them, and make the durable consumer when it is missing.",
  )
  .requiredOption("--config <file>", "configuration file with a nats block")
  .addHelpText(
    "after",
    "\nExit codes: 0 done, 2 bad file, no access to the servers, or refused by the server." +
      "\n\nExample:\n  deno task observer stream create --config examples/config/nats_consume.jsonc",
  )
  .exitOverride()
  .action(async (flags: { config: string }) => {
    exitCode = await runStreamCreate(userPath(flags.config));
  });

program.command("config")
  .description("Work with configuration files (see README, Configuration).")
  .exitOverride()
  .command("check")
  .description(
    "Validate a configuration file and print the effective configuration (every default " +
      "filled in) as JSON; every problem is named with its path.",
  )
  .argument("<file>", "configuration file (JSON with comments)")
  .addHelpText(
    "after",
    "\nExit codes: 0 valid, 2 not valid or unreadable.\n\nExample:\n" +
      "  deno task observer config check examples/config/fan_out.jsonc",
  )
  .exitOverride()
  .action(async (file: string) => {
    try {
      const config = await loadConfig(userPath(file));
      writeAllSync(Deno.stdout, JSON.stringify(effectiveConfig(config), null, 2) + "\n");
    } catch (error) {
      exitCode = fail(error instanceof Error ? error.message : String(error));
    }
  });

const queryFormatOption = () =>
  new Option("--format <format>", "output: a table, JSON (an array of objects) or CSV")
    .choices(["table", "json", "csv"]).default("table");

/** `--json` / `--csv` as shorthands of `--format`. */
function queryFormat(flags: { format: string; json?: boolean; csv?: boolean }) {
  return (flags.json ? "json" : flags.csv ? "csv" : flags.format) as "table" | "json" | "csv";
}

const catalog = program.command("catalog")
  .description(
    "The research catalog under data/observer/catalog: Parquet partitions by event date with " +
      "manifests (needs the catalog task: deno task catalog ...; see docs/catalog.md).",
  )
  .exitOverride();

addInputOptions(catalog.command("build"))
  .description(
    "Add finished record files (rotated ones, or files no writer holds; never a line past the " +
      "last whole one) to the catalog: one zstd Parquet file per UTC event date, rows by " +
      "symbol then event time, manifests with sizes, line counts and SHA-256. Only dates " +
      "with new rows are rewritten; a run_id already in the catalog is not added again.",
  )
  .argument("[inputs...]", "record files or directories (their *.jsonl files)")
  .option("--config <file>", "also take the record files of this configuration's jsonl sinks")
  .addHelpText(
    "after",
    "\nExit codes: 0 built, 1 some lines not records or files still being written (left out), " +
      "2 bad input or configuration.\n\nExample:\n  deno task catalog build data/observer",
  )
  .exitOverride()
  .action(async (inputs: string[], flags: InputFlags & { config?: string }) => {
    const access = catalogAccessProblem();
    if (access !== undefined) {
      exitCode = fail(access);
      return;
    }
    const { runCatalogBuild } = await import("./src/cli/catalog_command.ts");
    exitCode = await runCatalogBuild({
      root,
      inputs: inputs.map(userPath),
      configPath: flags.config === undefined ? undefined : userPath(flags.config),
      maxLineBytes: flags.maxLineBytes,
    });
  });

addInputOptions(catalog.command("verify"))
  .description(
    "Recompute what the manifests claim (file sizes, SHA-256, rows, per-symbol figures) and " +
      "check every row against the source records; print every mismatch.",
  )
  .addHelpText(
    "after",
    "\nExit codes: 0 whole, 1 some mismatch (each printed), 2 no access.\n\nExample:\n" +
      "  deno task catalog verify",
  )
  .exitOverride()
  .action(async (flags: InputFlags) => {
    const access = catalogAccessProblem();
    if (access !== undefined) {
      exitCode = fail(access);
      return;
    }
    const { runCatalogVerify } = await import("./src/cli/catalog_command.ts");
    exitCode = await runCatalogVerify({ root, maxLineBytes: flags.maxLineBytes });
  });

catalog.command("gaps")
  .description(
    "List, per symbol and UTC day, the stretches without records longer than --min-seconds " +
      "inside the recorded span.",
  )
  .option("--min-seconds <n>", "shortest gap reported, in seconds", parsePositiveInt, 60)
  .option("--symbols <list>", "comma-separated symbols (default: all)", parseList)
  .addOption(queryFormatOption())
  .option("--json", "same as --format json")
  .option("--csv", "same as --format csv")
  .addHelpText(
    "after",
    "\nExit codes: 0 listed, 2 no catalog.\n\nExample:\n" +
      "  deno task catalog gaps --min-seconds 300 --symbols 005930,000660",
  )
  .exitOverride()
  .action(
    async (
      flags: {
        minSeconds: number;
        symbols?: string[];
        format: string;
        json?: boolean;
        csv?: boolean;
      },
    ) => {
      const access = catalogAccessProblem();
      if (access !== undefined) {
        exitCode = fail(access);
        return;
      }
      const { runCatalogGaps } = await import("./src/cli/catalog_command.ts");
      exitCode = await runCatalogGaps({
        root,
        minSeconds: flags.minSeconds,
        symbols: flags.symbols ?? [],
        format: queryFormat(flags),
      });
    },
  );

program.command("query")
  .description(
    "Run read-only SQL (DuckDB) over the catalog's `records` view (every partition; `date` " +
      "is a column) and print the rows (needs the query task: deno task query ...).",
  )
  .argument("<sql>", "one SELECT (or several; the last one's rows are printed)")
  .addOption(queryFormatOption())
  .option("--json", "same as --format json")
  .option("--csv", "same as --format csv")
  .addHelpText(
    "after",
    "\nExit codes: 0 printed, 2 refused or failed query, or no catalog.\n\nExample:\n" +
      '  deno task query "SELECT symbol, count(*) FROM records GROUP BY 1"',
  )
  .exitOverride()
  .action(async (sql: string, flags: { format: string; json?: boolean; csv?: boolean }) => {
    const access = catalogAccessProblem();
    if (access !== undefined) {
      exitCode = fail(access);
      return;
    }
    const { runQueryCommand } = await import("./src/cli/query_command.ts");
    exitCode = await runQueryCommand({ root, sql, format: queryFormat(flags) });
  });

try {
  await program.parseAsync(scriptArgs(Deno.args), { from: "user" });
} catch (error) {
  Deno.exit(exitCodeOfParseError(error));
}
Deno.exit(exitCode);
