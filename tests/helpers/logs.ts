/**
 * Captures LogTape records in memory so tests can assert what was logged.
 *
 * @module
 */

import { configure, type LogRecord, reset } from "@logtape/logtape";

/** Captured log records, with a helper to render their messages. */
export interface CapturedLogs extends AsyncDisposable {
  readonly records: LogRecord[];
  /** Each record's message with its properties filled in. */
  messages(): string[];
}

/**
 * Routes every `qts` log record into memory until disposed.
 *
 * @example
 * ```ts
 * await using logs = await captureLogs();
 * ```
 */
export async function captureLogs(): Promise<CapturedLogs> {
  const records: LogRecord[] = [];
  await configure({
    reset: true,
    sinks: { memory: (record: LogRecord) => records.push(record) },
    loggers: [
      { category: ["qts"], lowestLevel: "debug", sinks: ["memory"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["memory"] },
    ],
  });
  return {
    records,
    messages: () =>
      records.map((r) =>
        r.message.map((part) => typeof part === "string" ? part : String(part)).join("")
      ),
    async [Symbol.asyncDispose]() {
      await reset();
    },
  };
}
