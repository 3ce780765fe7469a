/**
 * Logging across a worker boundary: a worker's LogTape sends each record to the thread that
 * started it, which emits it through its own configuration (the same lines, on the same stderr,
 * as if logged there). Values that cannot cross (functions, class instances with hidden state)
 * are sent as their text.
 *
 * @module
 */

import { configure, getLogger, type LogLevel, type LogRecord } from "@logtape/logtape";
import { LOG_ROOT } from "./logging.ts";

/** A log record as it crosses to another thread. */
export type ForwardedLogRecord = LogRecord;

/** A LogTape level, as a worker is told the lowest one to forward. */
export type ForwardedLevel = LogLevel;

const LEVELS: readonly LogLevel[] = ["trace", "debug", "info", "warning", "error", "fatal"];

/**
 * The lowest level this thread's project loggers write, or undefined when they write nothing
 * (logging not set up): a worker forwards only from there on.
 *
 * @example
 * ```ts
 * import { lowestLoggedLevel } from "./forwarded_logging.ts";
 * lowestLoggedLevel(); // => undefined before setupLogging, e.g. "info" after it
 * ```
 */
export function lowestLoggedLevel(): ForwardedLevel | undefined {
  const logger = getLogger([LOG_ROOT]);
  return LEVELS.find((level) => logger.isEnabledFor(level));
}

/** A value as it may cross: itself when it can be cloned, else its text. */
function crossable(value: unknown): unknown {
  if (value === null || typeof value !== "object") {
    return typeof value === "function" || typeof value === "symbol" ? String(value) : value;
  }
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    return structuredClone(value);
  } catch {
    return String(value);
  }
}

/**
 * Configures this thread's (a worker's) LogTape to hand every project record from `level` on to
 * `send`; with no level, nothing is logged.
 *
 * @example
 * ```ts
 * import { forwardLogging } from "./forwarded_logging.ts";
 * declare const port: { postMessage(message: unknown): void };
 * await forwardLogging("info", (record) => port.postMessage({ type: "log", record }));
 * ```
 */
export async function forwardLogging(
  level: LogLevel | undefined,
  send: (record: ForwardedLogRecord) => void,
): Promise<void> {
  await configure({
    reset: true,
    sinks: {
      forward: (record: LogRecord) =>
        send({
          ...record,
          rawMessage: String(record.rawMessage),
          message: record.message.map(crossable),
          properties: Object.fromEntries(
            Object.entries(record.properties).map(([k, v]) => [k, crossable(v)]),
          ),
        }),
    },
    loggers: [
      ...(level === undefined
        ? []
        : [{ category: [LOG_ROOT], lowestLevel: level, sinks: ["forward"] }]),
      { category: ["logtape", "meta"], lowestLevel: "fatal" as const, sinks: [] },
    ],
  });
}

/**
 * Emits a record forwarded from a worker through this thread's configuration.
 *
 * @example
 * ```ts
 * import { emitForwarded, type ForwardedLogRecord } from "./forwarded_logging.ts";
 * declare const record: ForwardedLogRecord;
 * emitForwarded(record);
 * ```
 */
export function emitForwarded(record: ForwardedLogRecord): void {
  const { category, ...rest } = record;
  getLogger([...category]).emit(rest);
}
