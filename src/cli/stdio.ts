/**
 * Small helpers the entry scripts use to talk to a terminal.
 *
 * @module
 */

import { printable } from "../io/printable.ts";

const encoder = new TextEncoder();

/**
 * Writes all of `text` to a synchronous writer (Deno.stdout, Deno.stderr), looping over
 * partial writes.
 *
 * @example
 * ```ts
 * writeAllSync(Deno.stderr, "line 3: not valid JSON\n");
 * ```
 */
export function writeAllSync(target: { writeSync(p: Uint8Array): number }, text: string): void {
  let bytes = encoder.encode(text);
  while (bytes.length > 0) bytes = bytes.subarray(target.writeSync(bytes));
}

/**
 * Output settings for a commander program so help and errors are written synchronously (they
 * would otherwise be lost when the script exits right after).
 *
 * @example
 * ```ts
 * import { Command } from "commander";
 * import { synchronousCommanderOutput } from "./stdio.ts";
 * new Command("x").configureOutput(synchronousCommanderOutput());
 * ```
 */
export function synchronousCommanderOutput(): {
  writeOut: (text: string) => void;
  writeErr: (text: string) => void;
} {
  return {
    writeOut: (text) => writeAllSync(Deno.stdout, text),
    writeErr: (text) => writeAllSync(Deno.stderr, text),
  };
}

/**
 * Reports an input line that yielded no snapshot on stderr as
 * `<input>:<line>: rejected: <reason>`, with control characters escaped and a huge reason cut.
 *
 * @example
 * ```ts
 * import { reportRejectedLine } from "./stdio.ts";
 * reportRejectedLine("stdin", 3, "not valid JSON: expected a JSON value at column 1, got \"x\"");
 * ```
 */
export function reportRejectedLine(input: string, line: number, reason: string): void {
  writeAllSync(Deno.stderr, printable(`${input}:${line}: rejected: ${reason}`, 2000) + "\n");
}

/**
 * Reports a line of a record file that was not read as a record (a bad line, a torn last line)
 * on stderr as `<file>:<line>: <reason>`, with control characters escaped and a huge reason cut.
 *
 * @example
 * ```ts
 * import { reportBadLine } from "./stdio.ts";
 * reportBadLine({ file: "a.jsonl", line: 7, reason: "partial last line (no newline)" });
 * ```
 */
export function reportBadLine(bad: { file: string; line: number; reason: string }): void {
  writeAllSync(Deno.stderr, printable(`${bad.file}:${bad.line}: ${bad.reason}`, 2000) + "\n");
}
