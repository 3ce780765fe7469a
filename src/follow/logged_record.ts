/**
 * A line of the log as a record, read as little as a follower needs: the snapshot's `meta` and
 * `context` (what sampling, subjects and columns read) are parsed at once, found in one pass; the
 * observation and the metadata (what some filters and the guard column read) only when asked (a
 * line without metadata then has none: the destinations treat its guard action as `PASS`, which
 * is all the log holds). A whole parse of every line cost a live
 * recording with a follower most of its speed, the follower running on the same thread.
 *
 * @module
 */

import type { PatternRecord } from "../contract/pattern_record.ts";
import type { TextLine } from "../io/line_reader.ts";
import { memberText, memberTexts, recordSnapshotText } from "../io/json_slice.ts";
import { parseRecordLine } from "../records/record_reader.ts";

/** The parsed member `key` of the JSON object text `text`, or undefined. */
function parsedMember(text: string, key: string): unknown {
  const member = memberText(text, key);
  return member === undefined ? undefined : JSON.parse(member);
}

/** A plain object, or undefined. */
function objectOrUndefined(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Record<string, unknown>
    : undefined;
}

/** A snapshot with `meta` and `context` parsed and its observation parsed on first use. */
class LazySnapshot {
  readonly meta: Record<string, unknown>;
  readonly context: Record<string, unknown>;
  readonly #text: string;
  #observation: unknown;

  constructor(meta: Record<string, unknown>, context: Record<string, unknown>, text: string) {
    this.meta = meta;
    this.context = context;
    this.#text = text;
  }

  get observation(): unknown {
    return this.#observation ??= parsedMember(this.#text, "observation");
  }

  toJSON(): unknown {
    return { meta: this.meta, context: this.context, observation: this.observation };
  }
}

/** A record whose metadata is parsed on first use. */
class LazyRecord {
  readonly snapshot: LazySnapshot;
  readonly #line: string;
  #metadata: unknown;

  constructor(snapshot: LazySnapshot, line: string) {
    this.snapshot = snapshot;
    this.#line = line;
  }

  get metadata(): unknown {
    return this.#metadata ??= parsedMember(this.#line, "metadata");
  }

  toJSON(): unknown {
    return JSON.parse(this.#line);
  }
}

/**
 * The record of a log line with its observation and metadata parsed on first use, or undefined
 * when the line is not laid out as this project writes records (then the caller parses it whole).
 * The lazy parts are getters of classes, not of object literals: an object with its own
 * accessors costs more to make than the parse it spares.
 *
 * @example
 * ```ts
 * import { lazyLoggedRecord } from "./logged_record.ts";
 * declare const line: string;
 * lazyLoggedRecord(line)?.snapshot.context.symbol; // e.g. "005930"
 * ```
 */
export function lazyLoggedRecord(line: string): PatternRecord | undefined {
  const snapshotText = recordSnapshotText(line);
  if (snapshotText === undefined) return undefined;
  let meta: Record<string, unknown> | undefined;
  let context: Record<string, unknown> | undefined;
  try {
    const [metaText, contextText] = memberTexts(snapshotText, ["meta", "context"]);
    if (metaText === undefined || contextText === undefined) return undefined;
    meta = objectOrUndefined(JSON.parse(metaText));
    context = objectOrUndefined(JSON.parse(contextText));
  } catch {
    return undefined;
  }
  if (meta === undefined || context === undefined) return undefined;
  return new LazyRecord(
    new LazySnapshot(meta, context, snapshotText),
    line,
  ) as unknown as PatternRecord;
}

/**
 * A line of the log as a record, or why it is not one: lazily when it is laid out as this
 * project writes records (it wrote and validated them), else through the project's exact reader,
 * which names the problem.
 *
 * @example
 * ```ts
 * import { logRecord } from "./logged_record.ts";
 * import type { TextLine } from "../io/line_reader.ts";
 * declare const line: TextLine;
 * const record = logRecord(line);
 * if (typeof record === "string") console.log(`not a record: ${record}`);
 * ```
 */
export function logRecord(line: TextLine): PatternRecord | string {
  if (line.problem === undefined) {
    const record = lazyLoggedRecord(line.text);
    if (record !== undefined) return record;
  }
  return parseRecordLine(line);
}
