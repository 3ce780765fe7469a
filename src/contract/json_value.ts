/**
 * JSON value types shared by the contract modules.
 *
 * @module
 */

import { printable } from "../io/printable.ts";

/**
 * A number kept as the exact text it came as (`751000.0`, `9007199254740993`), made by
 * `JSON.rawJSON`: `JSON.stringify` writes its text back unchanged. See {@linkcode rawJsonNumber}.
 */
export interface RawJsonNumber {
  /** The number's text as it came. */
  readonly rawJSON: string;
}

/**
 * A JSON primitive. Numbers may be non-finite only before validation (Python's NaN/Infinity);
 * a number JavaScript would write differently is a {@linkcode RawJsonNumber}.
 */
export type JsonPrimitive = string | number | RawJsonNumber | boolean | null;

/** Any JSON value. */
export type JsonValue = JsonPrimitive | JsonValue[] | JsonObject;

/** A JSON object: a plain record of JSON values. */
export interface JsonObject {
  /** Any key maps to a JSON value. */
  [key: string]: JsonValue;
}

/** `JSON.rawJSON` and `JSON.isRawJSON` (V8 in Deno 2.9; not yet in TypeScript's lib). */
const RAW_JSON = JSON as unknown as {
  rawJSON(text: string): RawJsonNumber;
  isRawJSON(value: unknown): value is RawJsonNumber;
};

/**
 * A number that `JSON.stringify` writes as `text` exactly (`text` must be a JSON number).
 *
 * @example
 * ```ts
 * import { rawJsonNumber } from "./json_value.ts";
 * JSON.stringify({ price: rawJsonNumber("751000.0") }); // => '{"price":751000.0}'
 * ```
 */
export function rawJsonNumber(text: string): RawJsonNumber {
  return RAW_JSON.rawJSON(text);
}

/**
 * True for a number kept as its exact text (see {@linkcode rawJsonNumber}).
 *
 * @example
 * ```ts
 * import { isRawJsonNumber, rawJsonNumber } from "./json_value.ts";
 * isRawJsonNumber(rawJsonNumber("1.0")); // => true
 * isRawJsonNumber(1); // => false
 * ```
 */
export function isRawJsonNumber(value: unknown): value is RawJsonNumber {
  return typeof value === "object" && value !== null && RAW_JSON.isRawJSON(value);
}

/**
 * True for a JSON number: a JavaScript number or one kept as its exact text.
 *
 * @example
 * ```ts
 * import { isJsonNumber, rawJsonNumber } from "./json_value.ts";
 * isJsonNumber(71000); // => true
 * isJsonNumber(rawJsonNumber("71000.0")); // => true
 * isJsonNumber("71000"); // => false
 * ```
 */
export function isJsonNumber(value: unknown): value is number | RawJsonNumber {
  return typeof value === "number" || isRawJsonNumber(value);
}

/**
 * The numeric value of a JSON number (a kept text is converted, with the rounding any double
 * has), or `undefined` for anything else. For charts and comparisons, never for writing.
 *
 * @example
 * ```ts
 * import { numericValue, rawJsonNumber } from "./json_value.ts";
 * numericValue(rawJsonNumber("751000.0")); // => 751000
 * numericValue("x"); // => undefined
 * ```
 */
export function numericValue(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  return isRawJsonNumber(value) ? Number(value.rawJSON) : undefined;
}

/**
 * True when `value` is a plain object (not null, not an array, not a class instance).
 *
 * @example
 * ```ts
 * isPlainObject({ a: 1 }); // => true
 * isPlainObject([1]); // => false
 * ```
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || (proto === null && !RAW_JSON.isRawJSON(value));
}

/**
 * Describes a value for an error message: its JSON text, shortened, or its kind.
 *
 * @example
 * ```ts
 * describeValue(undefined); // => "nothing (field missing)"
 * describeValue("x"); // => "\"x\" (string)"
 * ```
 */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing (field missing)";
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  if (isRawJsonNumber(value)) return `${printable(value.rawJSON, 60)} (number)`;
  if (typeof value === "string" && value.length > 60) {
    return `${
      printable(JSON.stringify(value.slice(0, 57)).slice(0, -1), 60)
    }…" (string of ${value.length} characters)`;
  }
  const kind = value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return kind === "null" ? "null" : `${printable(text, 60)} (${kind})`;
}
