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
  return memberTexts(text, [key])[0];
}

/**
 * The texts of members `keys` of the JSON object `text` (top level only), in the order of
 * `keys`, found in one pass that stops once all are found; undefined for each one absent (or all,
 * past a place where the object is not well formed).
 *
 * @example
 * ```ts
 * import { memberTexts } from "./json_slice.ts";
 * memberTexts('{"meta":{"a":1},"context":{"b":2},"x":3}', ["meta", "context"]);
 * // => ['{"a":1}', '{"b":2}']
 * ```
 */
export function memberTexts(text: string, keys: readonly string[]): (string | undefined)[] {
  const found: (string | undefined)[] = keys.map(() => undefined);
  let left = keys.length;
  let i = text.indexOf("{");
  if (i < 0) return found;
  i++;
  while (i < text.length && left > 0) {
    while (i < text.length && text.charCodeAt(i) <= 0x20) i++;
    if (text[i] !== '"') return found;
    const keyEnd = skipString(text, i);
    if (keyEnd < 0) return found;
    const raw = text.slice(i + 1, keyEnd - 1);
    const name = raw.includes("\\") ? JSON.parse(text.slice(i, keyEnd)) : raw;
    i = text.indexOf(":", keyEnd) + 1;
    if (i === 0) return found;
    while (i < text.length && text.charCodeAt(i) <= 0x20) i++;
    const end = skipValue(text, i);
    if (end < 0) return found;
    const k = keys.indexOf(name);
    if (k >= 0 && found[k] === undefined) {
      found[k] = text.slice(i, end).trimEnd();
      left--;
    }
    i = end;
    while (i < text.length && text.charCodeAt(i) <= 0x20) i++;
    if (text[i] !== ",") return found;
    i++;
  }
  return found;
}

const SNAPSHOT_FIRST = '{"snapshot":';
const AFTER_SNAPSHOT = '},"regime_tags":';

/**
 * The text of the snapshot in a record line. Records this project (and the Python QTS) writes
 * start with the snapshot and go on with `regime_tags`: the last `},"regime_tags":` ends the
 * snapshot (inside strings quotes are escaped, and no key of the metadata after it has that
 * name), found by the engine's own search. Any other line is scanned member by member.
 *
 * @example
 * ```ts
 * import { recordSnapshotText } from "./json_slice.ts";
 * recordSnapshotText('{"snapshot":{"meta":{}},"regime_tags":{},"metadata":{}}'); // => '{"meta":{}}'
 * ```
 */
export function recordSnapshotText(line: string): string | undefined {
  if (line.startsWith(SNAPSHOT_FIRST)) {
    const end = line.lastIndexOf(AFTER_SNAPSHOT);
    if (end > SNAPSHOT_FIRST.length) return line.slice(SNAPSHOT_FIRST.length, end + 1);
  }
  return memberText(line, "snapshot");
}
