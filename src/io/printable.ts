/**
 * Text from input made safe for a terminal or a log line: control characters (C0, DEL, C1) and
 * bidirectional overrides are escaped, and long values are cut with a note of what was left out.
 *
 * @module
 */

/** Default longest text {@linkcode printable} keeps, in UTF-16 code units. */
export const PRINTABLE_MAX_CHARS = 200;

function isUnprintable(code: number): boolean {
  return code < 0x20 || (code >= 0x7f && code <= 0x9f) || (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069);
}

/**
 * True when `text` holds a control character (C0, DEL or C1).
 *
 * @example
 * ```ts
 * import { hasControlCharacter } from "./printable.ts";
 * hasControlCharacter("a\nb.jsonl"); // => true
 * hasControlCharacter("한글.jsonl"); // => false
 * ```
 */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return true;
  }
  return false;
}

/**
 * `text` with every control character and bidirectional override written as `\uXXXX` (`\n`,
 * `\r`, `\t` as themselves escaped), cut to `maxChars` with `…(N more chars)` after it.
 *
 * @example
 * ```ts
 * import { printable } from "./printable.ts";
 * printable("bad \u001b[31mred"); // => "bad \\u001b[31mred"
 * printable("x".repeat(300), 10); // => "xxxxxxxxxx…(290 more chars)"
 * ```
 */
export function printable(text: string, maxChars: number = PRINTABLE_MAX_CHARS): string {
  const cut = text.length > maxChars;
  const kept = cut ? text.slice(0, maxChars) : text;
  let out = "";
  let last = 0;
  for (let i = 0; i < kept.length; i++) {
    const code = kept.charCodeAt(i);
    if (!isUnprintable(code)) continue;
    out += kept.slice(last, i) + escapeCode(code);
    last = i + 1;
  }
  out = last === 0 ? kept : out + kept.slice(last);
  return cut ? `${out}…(${text.length - maxChars} more chars)` : out;
}

function escapeCode(code: number): string {
  if (code === 0x0a) return "\\n";
  if (code === 0x0d) return "\\r";
  if (code === 0x09) return "\\t";
  return `\\u${code.toString(16).padStart(4, "0")}`;
}
