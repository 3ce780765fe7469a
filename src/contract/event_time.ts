/**
 * The range of event times the contract accepts: epoch milliseconds from 1970-01-01 to the end
 * of 9999 (what Python's `datetime` and JavaScript's `Date` can both represent), and ISO-8601
 * texts with a zone.
 *
 * @module
 */

/** Earliest accepted `timestamp_ms`: 1970-01-01T00:00:00.000Z. */
export const MIN_EVENT_MS = 0;

/** Latest accepted `timestamp_ms`: 9999-12-31T23:59:59.999Z. */
export const MAX_EVENT_MS = 253_402_300_799_999;

/** What a bad `timestamp_ms` is told it should be. */
export const EVENT_MS_EXPECTED =
  "an integer epoch time in milliseconds from 0 (1970) to 253402300799999 (9999)";

/** What a bad `timestamp` is told it should be. */
export const EVENT_TIME_EXPECTED = "an ISO-8601 time with a zone, from 1970 to 9999";

const ISO_WITH_ZONE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d)$/;

/**
 * The epoch milliseconds of an ISO-8601 time with a zone (`Z` or `+09:00`, fractions up to
 * nanoseconds) within the accepted range, or `undefined`.
 *
 * @example
 * ```ts
 * import { parseEventTime } from "./event_time.ts";
 * parseEventTime("2026-01-26T03:18:20.080Z"); // => 1769397500080
 * parseEventTime("2026-01-26 03:18:20"); // => undefined (no zone)
 * ```
 */
export function parseEventTime(text: string): number | undefined {
  const canonical = parseCanonical(text);
  if (canonical !== undefined) return canonical;
  if (!ISO_WITH_ZONE.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) && ms >= MIN_EVENT_MS && ms <= MAX_EVENT_MS ? ms : undefined;
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function digits(text: string, at: number, count: number): number {
  let n = 0;
  for (let i = at; i < at + count; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * The fast path for the form every producer here writes, `YYYY-MM-DDTHH:MM:SS.mmmZ` (what
 * `Date.prototype.toISOString` gives): checked digit by digit, no regular expression, no
 * `Date.parse`. Anything else gives `undefined` and takes the general path.
 */
function parseCanonical(text: string): number | undefined {
  if (
    text.length !== 24 || text.charCodeAt(4) !== 0x2d || text.charCodeAt(7) !== 0x2d ||
    text.charCodeAt(10) !== 0x54 || text.charCodeAt(13) !== 0x3a ||
    text.charCodeAt(16) !== 0x3a || text.charCodeAt(19) !== 0x2e || text.charCodeAt(23) !== 0x5a
  ) return undefined;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  const ms = digits(text, 20, 3);
  if (
    year < 1970 || month < 1 || month > 12 || day < 1 || day > DAYS_IN_MONTH[month - 1] ||
    hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 || ms < 0
  ) return undefined;
  if (month === 2 && day === 29 && (year % 4 !== 0 || (year % 100 === 0 && year % 400 !== 0))) {
    return undefined;
  }
  return Date.UTC(year, month - 1, day, hour, minute, second, ms);
}

/**
 * True when `text` is an event time {@linkcode parseEventTime} accepts.
 *
 * @example
 * ```ts
 * import { isEventTimeText } from "./event_time.ts";
 * isEventTimeText("2026-01-26T12:18:20+09:00"); // => true
 * ```
 */
export function isEventTimeText(text: string): boolean {
  return parseEventTime(text) !== undefined;
}

/**
 * True for a `timestamp_ms` in the accepted range.
 *
 * @example
 * ```ts
 * import { isEventMs } from "./event_time.ts";
 * isEventMs(1769397500080); // => true
 * isEventMs(2 ** 53 - 1); // => false
 * ```
 */
export function isEventMs(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= MIN_EVENT_MS &&
    (value as number) <= MAX_EVENT_MS;
}
