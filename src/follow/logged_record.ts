/**
 * A line of the log as a record, read as little as a follower needs: the snapshot's `meta` and
 * `context` (what sampling, subjects and columns read) are parsed at once, cut out by the
 * engine's string search where the line is laid out as this project writes records; the
 * observation, the metadata (what some filters and the guard column read) and the snapshot's
 * text (what a NATS message carries) only when asked (a line without metadata then has none: the
 * destinations treat its guard action as `PASS`, which is all the log holds). A whole parse of
 * every line cost a live recording with a follower most of its speed.
 *
 * @module
 */

import type { PatternRecord } from "../contract/pattern_record.ts";
import type { TextLine } from "../io/line_reader.ts";
import type { LoggedRecord } from "../sinks/sink.ts";
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

/** `JSON.parse(text)` as a plain object, or undefined when it is not one (or not JSON). */
function parsedObject(text: string): Record<string, unknown> | undefined {
  try {
    return objectOrUndefined(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/** How this project's record lines start, and what follows the snapshot's meta and context. */
const META_START = '{"snapshot":{"meta":';
const CONTEXT_KEY = '},"context":';
const OBSERVATION_KEY = '},"observation":';
const METADATA_KEY = ',"metadata":';

/**
 * The `meta` and `context` of a line laid out as this project writes records
 * (`{"snapshot":{"meta":{…},"context":{…},"observation":…`), cut at the first `},"context":`
 * and the first `},"observation":` after it (found by the engine's search, not a scan in
 * JavaScript) and parsed. A cut anywhere but between those members gives text that is not one
 * JSON object (the braces of an object nested deeper are left open; a member between them is
 * trailing text; inside a string a quote is escaped), which the parse refuses: then undefined,
 * and the caller scans member by member.
 */
function headOf(line: string): [Record<string, unknown>, Record<string, unknown>] | undefined {
  if (!line.startsWith(META_START)) return undefined;
  const contextAt = line.indexOf(CONTEXT_KEY, META_START.length);
  if (contextAt < 0) return undefined;
  const observationAt = line.indexOf(OBSERVATION_KEY, contextAt);
  if (observationAt < 0) return undefined;
  const meta = parsedObject(line.slice(META_START.length, contextAt + 1));
  if (meta === undefined) return undefined;
  const context = parsedObject(line.slice(contextAt + CONTEXT_KEY.length, observationAt + 1));
  return context === undefined ? undefined : [meta, context];
}

/** The same as {@linkcode headOf} for any layout: the snapshot's members found by scanning. */
function scannedHead(
  snapshotText: string,
): [Record<string, unknown>, Record<string, unknown>] | undefined {
  const [metaText, contextText] = memberTexts(snapshotText, SNAPSHOT_HEAD);
  if (metaText === undefined || contextText === undefined) return undefined;
  const meta = parsedObject(metaText);
  const context = meta === undefined ? undefined : parsedObject(contextText);
  return context === undefined ? undefined : [meta!, context];
}

const SNAPSHOT_HEAD = ["meta", "context"] as const;

/**
 * The metadata of a record line: the text after its last `,"metadata":` up to the line's last
 * `}` when that parses (metadata comes last in this project's records; a key of that name nested
 * deeper leaves the outer braces unbalanced, which the parse refuses), else found by scanning.
 */
function metadataOf(line: string): unknown {
  const at = line.lastIndexOf(METADATA_KEY);
  if (at > 0 && line.endsWith("}")) {
    const metadata = parsedObject(line.slice(at + METADATA_KEY.length, -1));
    if (metadata !== undefined) return metadata;
  }
  return parsedMember(line, "metadata");
}

/** A snapshot with `meta` and `context` parsed and its text and observation found on first use. */
class LazySnapshot {
  readonly meta: Record<string, unknown>;
  readonly context: Record<string, unknown>;
  readonly #line: string;
  #text: string | undefined;
  #observation: unknown;

  constructor(meta: Record<string, unknown>, context: Record<string, unknown>, line: string) {
    this.meta = meta;
    this.context = context;
    this.#line = line;
  }

  /** The snapshot's text as the line holds it. */
  get text(): string {
    return this.#text ??= recordSnapshotText(this.#line) ?? "{}";
  }

  get observation(): unknown {
    return this.#observation ??= parsedMember(this.text, "observation");
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
    return this.#metadata ??= metadataOf(this.#line);
  }

  toJSON(): unknown {
    return JSON.parse(this.#line);
  }
}

/** A logged record read lazily: the snapshot's text is found when a destination asks for it. */
class LazyLogged implements LoggedRecord {
  readonly record: PatternRecord;
  readonly line: string;
  readonly #snapshot: LazySnapshot;

  constructor(snapshot: LazySnapshot, line: string) {
    this.#snapshot = snapshot;
    this.record = new LazyRecord(snapshot, line) as unknown as PatternRecord;
    this.line = line;
  }

  get snapshotText(): string {
    return this.#snapshot.text;
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
  return lazyLogged(line)?.record;
}

/** The logged record of `line` read lazily, or undefined when it is not laid out as a record. */
function lazyLogged(line: string): LoggedRecord | undefined {
  let head = headOf(line);
  if (head === undefined) {
    const snapshotText = recordSnapshotText(line);
    if (snapshotText === undefined) return undefined;
    head = scannedHead(snapshotText);
    if (head === undefined) return undefined;
  }
  return new LazyLogged(new LazySnapshot(head[0], head[1], line), line);
}

/**
 * A line of the log as a logged record (with its snapshot's text, found once for the
 * destination), or why it is not one: lazily when it is laid out as this project writes records,
 * else through the project's exact reader, which names the problem.
 *
 * @example
 * ```ts
 * import { loggedRecord } from "./logged_record.ts";
 * import type { TextLine } from "../io/line_reader.ts";
 * declare const line: TextLine;
 * const logged = loggedRecord(line);
 * if (typeof logged !== "string") logged.snapshotText; // the snapshot as the line holds it
 * ```
 */
export function loggedRecord(line: TextLine): LoggedRecord | string {
  if (line.problem === undefined) {
    const logged = lazyLogged(line.text);
    if (logged !== undefined) return logged;
  }
  const record = parseRecordLine(line);
  return typeof record === "string" ? record : { record, line: line.text };
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
