/**
 * Which records a sink takes: a filter made of conditions on the record (source, stage, symbol,
 * market, session, guard action, quality flags, interpretation hints, a numeric condition on an
 * observation field), combinable with `all` / `any` / `not`. {@linkcode compileFilter} turns the
 * description (as the configuration file gives it) into a predicate.
 *
 * @module
 */

import type { PatternRecord } from "../contract/pattern_record.ts";
import { numericValue } from "../contract/json_value.ts";

/** One text or any of several; `*` matches any run of characters and `?` one character. */
export type TextMatch = string | readonly string[];

/** A comparison of a numeric condition. */
export const COMPARISONS = [">=", "<=", "!=", "==", ">", "<"] as const;

/** One of {@linkcode COMPARISONS}. */
export type Comparison = typeof COMPARISONS[number];

/** The observation parts a numeric condition can read. */
export const OBSERVATION_PARTS = ["inputs", "computed", "state"] as const;

/** A numeric condition on an observation field, e.g. `inputs.volume >= 1000`. */
export interface FieldCondition {
  /** `inputs`, `computed` or `state`. */
  readonly part: typeof OBSERVATION_PARTS[number];
  /** Keys below the part, e.g. `["volume"]`. */
  readonly keys: readonly string[];
  /** How the field compares with `value`. */
  readonly comparison: Comparison;
  /** The number compared with. */
  readonly value: number;
}

/**
 * A filter: every condition given must hold (an empty filter takes everything). `all`, `any`
 * and `not` combine nested filters.
 */
export interface RecordFilterSpec {
  /** `snapshot.context.source`. */
  readonly source?: TextMatch;
  /** `snapshot.context.stage`. */
  readonly stage?: TextMatch;
  /** `snapshot.context.symbol` (a record without one never matches). */
  readonly symbol?: TextMatch;
  /** `snapshot.context.market` (a record without one never matches). */
  readonly market?: TextMatch;
  /** `snapshot.meta.session_id`. */
  readonly session?: TextMatch;
  /**
   * `metadata.guard.action`: `PASS`, or `BLOCK` for blocked snapshots with their reasons, or a
   * list of them (either).
   */
  readonly guard?: "PASS" | "BLOCK" | readonly ("PASS" | "BLOCK")[];
  /** The record carries one of these quality flags (`metadata._quality.flags`, `quality_flags`). */
  readonly quality_flag?: TextMatch;
  /** The record carries one of these interpretation hints (`metadata._interpretation.hints`). */
  readonly hint?: TextMatch;
  /** Numeric conditions on observation fields, all of which must hold. */
  readonly where?: readonly FieldCondition[];
  /** Every nested filter must take the record. */
  readonly all?: readonly RecordFilterSpec[];
  /** At least one nested filter must take the record. */
  readonly any?: readonly RecordFilterSpec[];
  /** The nested filter must not take the record. */
  readonly not?: RecordFilterSpec;
}

/** A compiled filter. */
export type RecordPredicate = (record: PatternRecord) => boolean;

const CONDITION = /^\s*(inputs|computed|state)((?:\.[^.\s<>=!]+)+)\s*(>=|<=|!=|==|>|<)\s*(\S+)\s*$/;

/**
 * Parses a numeric condition such as `inputs.volume >= 1000`: a part (`inputs`, `computed`,
 * `state`), dotted keys, a comparison (`>=`, `>`, `<=`, `<`, `==`, `!=`) and a finite number.
 * Returns the condition or what was expected.
 *
 * @example
 * ```ts
 * import { parseFieldCondition } from "./record_filter.ts";
 * parseFieldCondition("inputs.volume >= 1000");
 * // => { part: "inputs", keys: ["volume"], comparison: ">=", value: 1000 }
 * ```
 */
export function parseFieldCondition(text: string): FieldCondition | { readonly error: string } {
  const match = CONDITION.exec(text);
  const value = match === null ? NaN : Number(match[4]);
  if (match === null || !Number.isFinite(value) || match[4].trim() === "") {
    return {
      error: "expected `<inputs|computed|state>.<key>[.<key>...] <op> <number>` with op one of " +
        `${COMPARISONS.join(" ")}, e.g. "inputs.volume >= 1000"`,
    };
  }
  return {
    part: match[1] as FieldCondition["part"],
    keys: match[2].slice(1).split("."),
    comparison: match[3] as Comparison,
    value,
  };
}

/** The longest glob a filter may hold, in characters (a longer one is refused). */
export const MAX_PATTERN_LENGTH = 128;

/** The most globs one text condition may list (a longer list is refused). */
export const MAX_PATTERNS_PER_CONDITION = 32;

/**
 * The most glob characters one filter may hold in all (its conditions and nested filters
 * together). With texts of at most {@linkcode MAX_MATCHED_TEXT} characters this bounds the work a
 * filter costs per record to about a quarter of a million character comparisons.
 */
export const MAX_FILTER_PATTERN_CHARS = 1024;

/**
 * The longest text a glob with a wildcard is matched against: a longer one (only a blocked
 * snapshot can carry one, validation limits context fields) never matches such a glob.
 */
export const MAX_MATCHED_TEXT = 256;

const ANY_RUN = -1; // `*`
const ANY_ONE = -2; // `?`

/**
 * Turns a glob (`*` any run of characters, `?` one character, everything else literal) into a
 * predicate on text. Matching takes time proportional to the pattern's length times the text's
 * at worst (no backtracking regex): one posted symbol cannot stall the service.
 *
 * @example
 * ```ts
 * import { globMatcher } from "./record_filter.ts";
 * globMatcher("00*")("005930"); // => true
 * ```
 */
export function globMatcher(pattern: string): (text: string) => boolean {
  if (!/[*?]/.test(pattern)) return (text) => text === pattern;
  const tokens: number[] = [];
  for (const char of pattern) {
    const token = char === "*" ? ANY_RUN : char === "?" ? ANY_ONE : char.codePointAt(0)!;
    if (token === ANY_RUN && tokens.at(-1) === ANY_RUN) continue; // `**` is `*`
    tokens.push(token);
  }
  return (text) => text.length <= MAX_MATCHED_TEXT && matchTokens(tokens, text);
}

/** Code units of the code point at `at` in `text` (2 for a surrogate pair, else 1). */
function width(text: string, at: number): number {
  return text.codePointAt(at)! > 0xffff ? 2 : 1;
}

/**
 * Greedy glob matching with one resume point: at a mismatch the last `*` takes one more code
 * point and matching resumes after it. Each resume moves forward, so the work is at most the
 * text's length times the pattern's.
 */
function matchTokens(tokens: readonly number[], text: string): boolean {
  let t = 0; // position in text (code units)
  let p = 0; // position in tokens
  let starToken = -1; // the last `*` seen
  let starText = 0; // where the text stood when that `*` took nothing more
  while (t < text.length) {
    const token = tokens[p];
    if (p < tokens.length && (token === ANY_ONE || token === text.codePointAt(t))) {
      t += width(text, t);
      p++;
    } else if (p < tokens.length && token === ANY_RUN) {
      starToken = p++;
      starText = t;
    } else if (starToken >= 0) {
      starText += width(text, starText);
      t = starText;
      p = starToken + 1;
    } else {
      return false;
    }
  }
  while (p < tokens.length && tokens[p] === ANY_RUN) p++;
  return p === tokens.length;
}

/**
 * The glob characters a filter holds in all (see {@linkcode MAX_FILTER_PATTERN_CHARS}).
 *
 * @example
 * ```ts
 * import { filterPatternChars } from "./record_filter.ts";
 * filterPatternChars({ symbol: ["00*", "01*"], any: [{ market: "KRX" }] }); // => 9
 * ```
 */
export function filterPatternChars(spec: RecordFilterSpec): number {
  let total = 0;
  const matches = [spec.source, spec.stage, spec.symbol, spec.market, spec.session];
  for (const match of [...matches, spec.quality_flag, spec.hint]) {
    for (const text of typeof match === "string" ? [match] : match ?? []) total += text.length;
  }
  for (const nested of [...spec.all ?? [], ...spec.any ?? [], ...spec.not ? [spec.not] : []]) {
    total += filterPatternChars(nested);
  }
  return total;
}

function textMatcher(match: TextMatch): (text: unknown) => boolean {
  const matchers = (typeof match === "string" ? [match] : match).map(globMatcher);
  return (text) => typeof text === "string" && matchers.some((m) => m(text));
}

function listMatcher(match: TextMatch): (list: unknown) => boolean {
  const one = textMatcher(match);
  return (list) => Array.isArray(list) && list.some(one);
}

function fieldValue(record: PatternRecord, condition: FieldCondition): number | undefined {
  let value: unknown = record.snapshot?.observation?.[condition.part];
  for (const key of condition.keys) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
    if (!Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return numericValue(value);
}

function compare(a: number, comparison: Comparison, b: number): boolean {
  switch (comparison) {
    case ">=":
      return a >= b;
    case "<=":
      return a <= b;
    case ">":
      return a > b;
    case "<":
      return a < b;
    case "==":
      return a === b;
    case "!=":
      return a !== b;
  }
}

/**
 * Compiles a filter into a predicate. A field that is missing, or not a number where a number
 * is compared, makes its condition false.
 *
 * @example
 * ```ts
 * import { compileFilter } from "./record_filter.ts";
 * import type { PatternRecord } from "../contract/pattern_record.ts";
 * declare const record: PatternRecord;
 * const bigSymbols = compileFilter({ source: "market", symbol: ["005930", "0006*"] });
 * bigSymbols(record);
 * ```
 */
export function compileFilter(spec: RecordFilterSpec): RecordPredicate {
  const tests: RecordPredicate[] = [];
  const context = (r: PatternRecord) => r.snapshot?.context;
  if (spec.source !== undefined) {
    const m = textMatcher(spec.source);
    tests.push((r) => m(context(r)?.source));
  }
  if (spec.stage !== undefined) {
    const m = textMatcher(spec.stage);
    tests.push((r) => m(context(r)?.stage));
  }
  if (spec.symbol !== undefined) {
    const m = textMatcher(spec.symbol);
    tests.push((r) => m(context(r)?.symbol));
  }
  if (spec.market !== undefined) {
    const m = textMatcher(spec.market);
    tests.push((r) => m(context(r)?.market));
  }
  if (spec.session !== undefined) {
    const m = textMatcher(spec.session);
    tests.push((r) => m(r.snapshot?.meta?.session_id));
  }
  if (spec.guard !== undefined) {
    const actions: readonly string[] = typeof spec.guard === "string" ? [spec.guard] : spec.guard;
    tests.push((r) => actions.includes(r.metadata?.guard?.action));
  }
  if (spec.quality_flag !== undefined) {
    const m = listMatcher(spec.quality_flag);
    tests.push((r) => m(r.metadata?._quality?.flags) || m(r.metadata?.quality_flags));
  }
  if (spec.hint !== undefined) {
    const m = listMatcher(spec.hint);
    tests.push((r) => m(r.metadata?._interpretation?.hints));
  }
  for (const condition of spec.where ?? []) {
    tests.push((r) => {
      const value = fieldValue(r, condition);
      return value !== undefined && compare(value, condition.comparison, condition.value);
    });
  }
  if (spec.all !== undefined) {
    const nested = spec.all.map(compileFilter);
    tests.push((r) => nested.every((p) => p(r)));
  }
  if (spec.any !== undefined) {
    const nested = spec.any.map(compileFilter);
    tests.push((r) => nested.some((p) => p(r)));
  }
  if (spec.not !== undefined) {
    const nested = compileFilter(spec.not);
    tests.push((r) => !nested(r));
  }
  if (tests.length === 0) return () => true;
  if (tests.length === 1) return tests[0];
  return (r) => tests.every((t) => t(r));
}

/**
 * True when the filter tests the guard action anywhere (also inside `all` / `any` / `not`). Only
 * such a sink is sent blocked snapshots; every other sink takes passed records only.
 *
 * @example
 * ```ts
 * import { mentionsGuard } from "./record_filter.ts";
 * mentionsGuard({ any: [{ guard: "BLOCK" }] }); // => true
 * ```
 */
export function mentionsGuard(spec: RecordFilterSpec): boolean {
  return spec.guard !== undefined || (spec.all ?? []).some(mentionsGuard) ||
    (spec.any ?? []).some(mentionsGuard) || (spec.not !== undefined && mentionsGuard(spec.not));
}

/**
 * The guard actions a filter takes when it tests nothing but `guard` (so a record's action alone
 * decides), else undefined.
 *
 * @example
 * ```ts
 * import { guardActionsOnly } from "./record_filter.ts";
 * guardActionsOnly({ guard: ["PASS", "BLOCK"] }); // => ["PASS", "BLOCK"]
 * guardActionsOnly({ guard: "BLOCK", symbol: "005930" }); // => undefined
 * ```
 */
export function guardActionsOnly(spec: RecordFilterSpec): readonly string[] | undefined {
  const tested = Object.entries(spec).filter(([, value]) => value !== undefined);
  if (tested.length !== 1 || spec.guard === undefined) return undefined;
  return typeof spec.guard === "string" ? [spec.guard] : spec.guard;
}
