/**
 * JSON value types shared by the contract modules.
 *
 * @module
 */

/** A JSON primitive. Numbers may be non-finite only before validation (Python's NaN/Infinity). */
export type JsonPrimitive = string | number | boolean | null;

/** Any JSON value. */
export type JsonValue = JsonPrimitive | JsonValue[] | JsonObject;

/** A JSON object: a plain record of JSON values. */
export interface JsonObject {
  [key: string]: JsonValue;
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
  return proto === Object.prototype || proto === null;
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
  const kind = value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  if (text.length > 60) text = text.slice(0, 57) + "...";
  return kind === "null" ? "null" : `${text} (${kind})`;
}
