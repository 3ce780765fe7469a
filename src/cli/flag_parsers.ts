/**
 * Parsers of flag values (commander): numbers with their bounds, lists. Each throws commander's
 * `InvalidArgumentError` saying what it expected.
 *
 * @module
 */

import { InvalidArgumentError } from "commander";
import { DEFAULT_MAX_LINE_BYTES } from "../io/line_reader.ts";
import { MAX_TOTAL_QUEUE_BYTES } from "../sinks/batching_queue.ts";

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
 * import { parseMaxLineBytes } from "./flag_parsers.ts";
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

/** Most `--workers` accepted (each worker is a V8 isolate of its own, with its own heap). */
export const MAX_WORKERS = 64;

/**
 * Parses `--workers`: a positive integer up to {@linkcode MAX_WORKERS}.
 *
 * @example
 * ```ts
 * import { parseWorkers } from "./flag_parsers.ts";
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
