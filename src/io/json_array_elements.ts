/**
 * The elements of a JSON array text, each as its exact text (whitespace, number spelling and all),
 * found in one linear pass that tracks strings and nesting. The service turns a JSON array body
 * into the same numbered items a snapshot-lines body gives, so each element takes the one input
 * path (parser, validation, guard, dead letters) with its original text.
 *
 * @module
 */

import type { TextLine } from "./line_reader.ts";

/** The text is not one JSON array (what was expected and where). */
export class JsonArrayError extends Error {
  /** Makes the error. */
  constructor(message: string) {
    super(message);
    this.name = "JsonArrayError";
  }
}

const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/**
 * Splits a JSON array text into its elements, numbered from 1, as {@linkcode TextLine}s (the
 * elements themselves are judged later by the input parser: a broken element is rejected, the
 * others go on). Throws {@linkcode JsonArrayError} when the text is not an array: it must open
 * with `[`, close with `]` and have nothing but whitespace after.
 *
 * @example
 * ```ts
 * import { jsonArrayElements } from "./json_array_elements.ts";
 * jsonArrayElements('[{"a": 1.0}, {"b": "]"}]').map((e) => e.text);
 * // => ['{"a": 1.0}', '{"b": "]"}']
 * ```
 */
export function jsonArrayElements(text: string): TextLine[] {
  let at = 0;
  while (at < text.length && isSpace(text.charCodeAt(at))) at++;
  if (text.charCodeAt(at) !== 0x5b) {
    throw new JsonArrayError(`expected a JSON array opening with [, got ${describeAt(text, at)}`);
  }
  const elements: TextLine[] = [];
  let depth = 1;
  let start = at + 1;
  let inString = false;
  let end = -1;
  const push = (from: number, to: number) => {
    const element = text.slice(from, to).trim();
    if (element.length === 0) {
      throw new JsonArrayError(
        `expected an element before offset ${to}, got an empty one (two commas, or a trailing comma)`,
      );
    }
    elements.push({ text: element, number: elements.length + 1, terminated: true });
  };
  for (let i = at + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) depth++;
    else if (c === 0x5d || c === 0x7d) {
      depth--;
      if (depth === 0) {
        if (c !== 0x5d) {
          throw new JsonArrayError(`expected ] to close the array at offset ${i}, got }`);
        }
        if (text.slice(start, i).trim().length > 0 || elements.length > 0) push(start, i);
        end = i;
        break;
      }
    } else if (c === 0x2c && depth === 1) {
      push(start, i);
      start = i + 1;
    }
  }
  if (end < 0) throw new JsonArrayError("expected ] to close the array, got the end of the body");
  for (let i = end + 1; i < text.length; i++) {
    if (!isSpace(text.charCodeAt(i))) {
      throw new JsonArrayError(`expected nothing after the array, got ${describeAt(text, i)}`);
    }
  }
  return elements;
}

function describeAt(text: string, at: number): string {
  return at >= text.length
    ? "the end of the body"
    : `${JSON.stringify(text.slice(at, at + 10))} at offset ${at}`;
}
