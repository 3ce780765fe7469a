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

/** The texts of a snapshot's `meta` and `context`, as cut from a line, parsed on first use. */
type HeadTexts = readonly [meta: string, context: string];

/**
 * The texts of the `meta` and `context` of a line laid out as this project writes records
 * (`{"snapshot":{"meta":{…},"context":{…},"observation":…`), cut at the first `},"context":`
 * and the first `},"observation":` after it (found by the engine's search, not a scan in
 * JavaScript), or undefined when the line is not laid out so. A cut anywhere but between those
 * members gives text that is not one JSON object (the braces of an object nested deeper are left
 * open; a member between them is trailing text; inside a string a quote is escaped), which the
 * parse refuses on first use: then the snapshot's members are found by scanning.
 */
function headTexts(line: string): HeadTexts | undefined {
  if (!line.startsWith(META_START)) return undefined;
  const contextAt = line.indexOf(CONTEXT_KEY, META_START.length);
  if (contextAt < 0) return undefined;
  const observationAt = line.indexOf(OBSERVATION_KEY, contextAt);
  if (observationAt < 0) return undefined;
  return [
    line.slice(META_START.length, contextAt + 1),
    line.slice(contextAt + CONTEXT_KEY.length, observationAt + 1),
  ];
}

/** The snapshot's `meta` and `context` found by scanning its text (any layout), parsed. */
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

/** Most context texts remembered by {@linkcode parsedContext}. */
const MAX_CONTEXTS = 4096;

/** Parsed contexts by their text (each text a copy of its own: see {@linkcode ownCopy}). */
const contexts = new Map<string, Readonly<Record<string, unknown>>>();

/**
 * `parsedObject(text)` for a snapshot's context, remembered: a log holds few distinct contexts
 * (one per source, stage and symbol), and a follower sampling by symbol reads every line's, so a
 * lookup spares most parses (the parse of the context was a sixth of a follower's time). The
 * objects are shared by the records that have that context, and frozen.
 */
function parsedContext(text: string): Record<string, unknown> | undefined {
  let context = contexts.get(text);
  if (context === undefined) {
    const parsed = parsedObject(text);
    if (parsed === undefined) return undefined;
    if (contexts.size >= MAX_CONTEXTS) contexts.clear();
    context = Object.freeze(parsed);
    contexts.set(ownCopy(text), context);
  }
  return context as Record<string, unknown>;
}

/** A snapshot's `meta` and `context`, parsed. */
interface ParsedHead {
  readonly meta: Record<string, unknown>;
  readonly context: Record<string, unknown>;
}

/** Stands for a member whose text could not be read as an object (the line is not a record). */
const UNREADABLE: Record<string, unknown> = Object.freeze({});

/**
 * A snapshot whose `meta`, `context`, text and observation are each parsed on first use: a
 * follower sampling by symbol reads every line's context and only the kept lines' meta.
 */
class LazySnapshot {
  readonly #line: string;
  #texts: HeadTexts | undefined;
  #meta: Record<string, unknown> | undefined;
  #context: Record<string, unknown> | undefined;
  #text: string | undefined;
  #observation: unknown;

  /** Over `line`, its members cut as `texts`, or already parsed (`head`, either or both). */
  constructor(line: string, texts: HeadTexts | undefined, head?: Partial<ParsedHead>) {
    this.#line = line;
    this.#texts = texts;
    this.#meta = head?.meta;
    this.#context = head?.context;
  }

  /** What of `meta` and `context` has been parsed so far. */
  get parsed(): Partial<ParsedHead> {
    return { meta: this.#meta, context: this.#context };
  }

  get meta(): Record<string, unknown> {
    return this.#meta ??= (this.#texts && parsedObject(this.#texts[0])) ?? this.#scanned()[0];
  }

  get context(): Record<string, unknown> {
    return this.#context ??= (this.#texts && parsedContext(this.#texts[1])) ??
      this.#scanned()[1];
  }

  /** Whether `meta` and `context` are objects (else the line is not a record). */
  get sound(): boolean {
    return this.meta !== UNREADABLE && this.context !== UNREADABLE;
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

  /** Both members found by scanning (the cut texts were not them), or both unreadable. */
  #scanned(): [Record<string, unknown>, Record<string, unknown>] {
    this.#texts = undefined;
    const scanned = scannedHead(this.text) ?? [UNREADABLE, UNREADABLE];
    [this.#meta, this.#context] = scanned;
    return scanned;
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

  /** Whether its snapshot's `meta` and `context` are objects (parses both). */
  get sound(): boolean {
    return this.#snapshot.sound;
  }

  /** The same record over `line`, a copy of its line (the parsed meta and context shared). */
  over(line: string): LazyLogged {
    return new LazyLogged(new LazySnapshot(line, headTexts(line), this.#snapshot.parsed), line);
  }
}

/**
 * A copy of `text` that shares no memory with a string it was cut from. V8 keeps a line cut from
 * a chunk's text as a slice of the whole chunk: a batch that keeps one line in ten would hold ten
 * times its size in chunks (measured: 2,164 kept lines held 37 MB of heap, 9.5 MB as copies).
 */
function ownCopy(text: string): string {
  return (" " + text).slice(1);
}

/**
 * `logged` (read from `line`) when it is a record, else why not: a line read lazily is found out
 * only when its meta and context are parsed (here, if the filter and the sampling did not need
 * them), so a line left out by the filter or the sampling before that is counted there.
 *
 * @example
 * ```ts
 * import { loggedRecord, soundRecord } from "./logged_record.ts";
 * import type { TextLine } from "../io/line_reader.ts";
 * declare const line: TextLine;
 * const logged = loggedRecord(line);
 * if (typeof logged !== "string") soundRecord(logged, line); // the record, or why it is not one
 * ```
 */
export function soundRecord(logged: LoggedRecord, line: TextLine): LoggedRecord | string {
  return !(logged instanceof LazyLogged) || logged.sound ? logged : whyNotARecord(line);
}

/**
 * `logged` over a copy of its line, so that the chunk its line was read in can be let go of while
 * a batch that kept only some of the chunk's lines waits for its destination.
 *
 * @example
 * ```ts
 * import { detachedRecord } from "./logged_record.ts";
 * import type { LoggedRecord } from "../sinks/sink.ts";
 * declare const logged: LoggedRecord;
 * detachedRecord(logged).line === logged.line; // => true
 * ```
 */
export function detachedRecord(logged: LoggedRecord): LoggedRecord {
  const line = ownCopy(logged.line);
  return logged instanceof LazyLogged ? logged.over(line) : { ...logged, line };
}

/** Why `line` is not a record, in the words of the project's exact reader. */
function whyNotARecord(line: TextLine): string {
  const record = parseRecordLine(line);
  return typeof record === "string" ? record : "expected its snapshot's meta and context objects";
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
  const logged = lazyLogged(line);
  return logged?.sound ? logged.record : undefined;
}

/** The logged record of `line` read lazily, or undefined when it is not laid out as a record. */
function lazyLogged(line: string): LazyLogged | undefined {
  const texts = headTexts(line);
  if (texts !== undefined) return new LazyLogged(new LazySnapshot(line, texts), line);
  const snapshotText = recordSnapshotText(line);
  if (snapshotText === undefined) return undefined;
  const head = scannedHead(snapshotText);
  if (head === undefined) return undefined;
  return new LazyLogged(
    new LazySnapshot(line, undefined, { meta: head[0], context: head[1] }),
    line,
  );
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
