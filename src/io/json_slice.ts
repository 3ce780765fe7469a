/**
 * The exact text of one member of a JSON object, found by scanning (no parse): a follower sends
 * the snapshot of a logged record byte for byte as it is in the log (numbers keep their text),
 * without parsing the record exactly and serializing it again.
 *
 * @module
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Index just past the string that starts (with its quote) at `at`, or -1. */
function skipString(text: string, at: number): number {
  for (let i = at + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) i++;
    else if (c === QUOTE) return i + 1;
  }
  return -1;
}

/** Index just past the value that starts at `at` (whitespace before it skipped), or -1. */
function skipValue(text: string, at: number): number {
  let depth = 0;
  for (let i = at; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      i = skipString(text, i) - 1;
      if (i < 0) return -1;
      if (depth === 0) return i + 1;
    } else if (c === "{" || c === "[") {
      depth++;
    } else if (c === "}" || c === "]") {
      if (depth === 0) return i;
      if (--depth === 0) return i + 1;
    } else if (c === "," && depth === 0) {
      return i;
    }
  }
  return depth === 0 ? text.length : -1;
}

/**
 * The text of member `key` of the JSON object `text` (top level only), exactly as written, or
 * undefined when the object has no such member or is not well formed where it was scanned.
 *
 * @example
 * ```ts
 * import { memberText } from "./json_slice.ts";
 * memberText('{"snapshot":{"n":1.50},"tags":[]}', "snapshot"); // => '{"n":1.50}'
 * ```
 */
export function memberText(text: string, key: string): string | undefined {
  let i = text.indexOf("{");
  if (i < 0) return undefined;
  i++;
  while (i < text.length) {
    while (i < text.length && text.charCodeAt(i) <= 0x20) i++;
    if (text[i] !== '"') return undefined;
    const keyEnd = skipString(text, i);
    if (keyEnd < 0) return undefined;
    const raw = text.slice(i + 1, keyEnd - 1);
    const name = raw.includes("\\") ? JSON.parse(text.slice(i, keyEnd)) : raw;
    i = text.indexOf(":", keyEnd) + 1;
    if (i === 0) return undefined;
    while (i < text.length && text.charCodeAt(i) <= 0x20) i++;
    const end = skipValue(text, i);
    if (end < 0) return undefined;
    if (name === key) return text.slice(i, end).trimEnd();
    i = end;
    while (i < text.length && text.charCodeAt(i) <= 0x20) i++;
    if (text[i] !== ",") return undefined;
    i++;
  }
  return undefined;
}
