/**
 * The one logger setup: LogTape, text lines to a writer the entry script hands in (stderr).
 * Library modules only call {@linkcode getObserverLogger}; nothing logs until this is set up.
 *
 * @module
 */

import { configure, dispose, getLogger, getTextFormatter, type LogRecord } from "@logtape/logtape";
import type * as logtape from "@logtape/logtape";
import { printable } from "../io/printable.ts";

/**
 * LogTape's `Logger`, the type every logger option of this project takes. Named here so the
 * public API references an exported type (a plain re-export would make `deno doc --lint` check
 * LogTape's own declarations).
 */
export type Logger = logtape.Logger;

/** Longest value a log line shows (a longer one is cut, saying how much was left out). */
export const LOG_VALUE_MAX_CHARS = 1000;

/** Levels accepted by `--log-level`. */
export const LOG_LEVELS = ["debug", "info", "warning", "error"] as const;

/** One of {@linkcode LOG_LEVELS}. */
export type LogLevelName = typeof LOG_LEVELS[number];

/** Root category of every logger of this project. */
export const LOG_ROOT = "qts";

/**
 * A logger under the project's root category.
 *
 * @example
 * ```ts
 * import { getObserverLogger } from "./logging.ts";
 * declare const path: string;
 * const logger = getObserverLogger("sink");
 * logger.info("JsonlFileSink initialized: {path}", { path });
 * ```
 */
export function getObserverLogger(...category: string[]): Logger {
  return getLogger([LOG_ROOT, ...category]);
}

/** Where log lines go and from which level on. */
export interface LoggingSetup {
  /** Lowest level written; lower ones are dropped. */
  readonly level: LogLevelName;
  /** Receives each formatted line (with its newline). */
  readonly write: (line: string) => void;
}

/**
 * Configures LogTape once for the process: lines like
 * `2026-01-26T03:18:20.080Z [INF] qts.sink: JsonlFileSink initialized: ...`.
 *
 * @example
 * ```ts
 * const encoder = new TextEncoder();
 * await setupLogging({ level: "info", write: (l) => Deno.stderr.writeSync(encoder.encode(l)) });
 * ```
 */
export async function setupLogging(setup: LoggingSetup): Promise<void> {
  const format = getTextFormatter({
    timestamp: "rfc3339",
    category: ".",
    // Values come from input (run ids, paths, reasons): escape control characters, cut giants.
    value: (value, inspect) =>
      printable(typeof value === "string" ? value : inspect(value), LOG_VALUE_MAX_CHARS),
  });
  await configure({
    reset: true,
    sinks: { text: (record: LogRecord) => setup.write(format(record)) },
    loggers: [
      { category: [LOG_ROOT], lowestLevel: setup.level, sinks: ["text"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["text"] },
    ],
  });
}

/** Flushes and removes the logging configuration (call before exiting). */
export async function teardownLogging(): Promise<void> {
  await dispose();
}
