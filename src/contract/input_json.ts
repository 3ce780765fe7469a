/**
 * The one parser of JSON text that comes from outside (snapshot lines, record files, archives):
 * JSON as Python's `json.dumps` writes it, read without altering anything.
 *
 * - Python's bare `NaN`, `Infinity`, `-Infinity` are accepted as values (never as keys) and
 *   become the numbers they name, so validation can block them; so does a number too large for
 *   a double (`1e400`).
 * - Every other number keeps its exact text: one that JavaScript would write differently
 *   (`751000.0`, `-0.0`, `1e5`, `9007199254740993`, `12345678901234567890`) becomes a
 *   `JSON.rawJSON` value, which `JSON.stringify` writes back byte for byte.
 * - A duplicate key is an error naming the key (JSON.parse would silently keep the last one).
 * - Nesting deeper than {@linkcode MAX_NESTING_DEPTH} is an error, and nothing here recurses.
 *
 * The common line takes V8's native `JSON.parse` plus two cheap checks; only a line that needs
 * it (a Python token, a number JavaScript would rewrite, a possible duplicate key, invalid JSON)
 * goes through the exact parser below.
 *
 * @module
 */

import { childPath } from "./field_issue.ts";
import { rawJsonNumber } from "./json_value.ts";
import { printable } from "../io/printable.ts";

/** Deepest nesting of objects and arrays accepted in one JSON text. */
export const MAX_NESTING_DEPTH = 512;

/** Thrown for text that is not acceptable JSON; the message says what and where. */
export class InputJsonError extends SyntaxError {
  /** Wraps a message such as `duplicate key "meta" at (root)`. */
  constructor(message: string) {
    super(message);
    this.name = "InputJsonError";
  }
}

/**
 * For values inside arrays: a whole number token, after a `:`, `,` or `[` and before a `,`, `]` or `}`, that JavaScript
 * might write differently: a `-0`, a fraction ending in 0, an exponent, 16 or more digits, or a
 * fraction below 1e-6. Text inside strings may match too; each match is checked.
 */
const SUSPECT_NUMBER =
  /[:,[]\s*(-0(?:\.0+)?|-?\d+\.\d*0|-?\d+(?:\.\d+)?[eE][+-]?\d+|-?[\d.]{16,}|-?0\.0{6}\d*)(?=\s*[,\]}])/g;

/** True when some number in `text` would not be written back as it came by JavaScript. */
function hasNumberToKeep(text: string): boolean {
  SUSPECT_NUMBER.lastIndex = 0;
  let match: RegExpExecArray | null;
  while ((match = SUSPECT_NUMBER.exec(text)) !== null) {
    if (String(Number(match[1])) !== match[1]) return true;
  }
  return false;
}

/**
 * Parses one JSON text (see the module notes). Throws {@linkcode InputJsonError} with what was
 * expected and where.
 *
 * @example
 * ```ts
 * import { parseInputJson } from "./input_json.ts";
 * parseInputJson('{"price": NaN, "note": "NaN"}'); // => { price: NaN, note: "NaN" }
 * JSON.stringify(parseInputJson('{"p": 751000.0}')); // => '{"p":751000.0}'
 * parseInputJson('{"a": 1, "a": 2}'); // throws: duplicate key "a" at (root)
 * ```
 */
export function parseInputJson(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return parseExact(text);
  }
  if (typeof value !== "object" || value === null) {
    return hasNumberToKeep(`[${text}]`) ? parseExact(text) : value;
  }
  const tree = measureTree(value);
  if (tree.tooDeep) return parseExact(text);
  const colons = scanColons(text);
  if (colons.numberToKeep || colons.keys !== tree.keys) return parseExact(text);
  if (tree.arrayNumbers && hasNumberToKeep(text)) return parseExact(text);
  return value;
}

/** What {@linkcode measureTree} saw. */
interface TreeShape {
  /** Keys in every object. */
  readonly keys: number;
  /** Some array holds a number (numbers not after a key: `scanColons` does not see them). */
  readonly arrayNumbers: boolean;
  /** Nested deeper than {@linkcode MAX_NESTING_DEPTH}. */
  readonly tooDeep: boolean;
}

/** One iterative pass over a parsed tree (no recursion, however deep). */
function measureTree(root: object): TreeShape {
  const nodes: unknown[] = [root];
  const depths: number[] = [1];
  let keys = 0;
  let arrayNumbers = false;
  while (nodes.length > 0) {
    const node = nodes.pop() as Record<string, unknown> | unknown[];
    const depth = depths.pop()!;
    if (depth > MAX_NESTING_DEPTH) return { keys, arrayNumbers, tooDeep: true };
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const child = node[i];
        if (typeof child === "number") arrayNumbers = true;
        else if (typeof child === "object" && child !== null) {
          nodes.push(child);
          depths.push(depth + 1);
        }
      }
      continue;
    }
    for (const key in node) {
      keys++;
      const child = node[key];
      if (typeof child === "object" && child !== null) {
        nodes.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return { keys, arrayNumbers, tooDeep: false };
}

/**
 * Looks at every colon: one preceded (after whitespace) by a quote ends a key, and one followed
 * by a number token is checked for a number JavaScript would write differently. Text inside
 * strings can only add keys or false alarms, so an equal key count with the parsed tree proves
 * there was no duplicate.
 */
function scanColons(text: string): { keys: number; numberToKeep: boolean } {
  let keys = 0;
  let at = text.indexOf(":");
  while (at >= 0) {
    let j = at - 1;
    while (j >= 0 && isWhitespace(text.charCodeAt(j))) j--;
    if (text.charCodeAt(j) === 0x22) keys++;
    let k = at + 1;
    while (k < text.length && isWhitespace(text.charCodeAt(k))) k++;
    const c = text.charCodeAt(k);
    if ((c === 0x2d || (c >= 0x30 && c <= 0x39)) && isNumberToKeep(text, k)) {
      return { keys, numberToKeep: true };
    }
    at = text.indexOf(":", at + 1);
  }
  return { keys, numberToKeep: false };
}

/**
 * True when the number token at `start` (if it is a whole token, followed by `,`, `}` or `]`)
 * would be written differently by JavaScript. A plain decimal of at most 15 characters without
 * an exponent, a fraction ending in 0, a `-0` or a value below 1e-6 always writes back the same
 * (15 digits round-trip through a double), so only the others are converted and compared.
 */
function isNumberToKeep(text: string, start: number): boolean {
  let end = start;
  let exponent = false;
  let dot = -1;
  if (text.charCodeAt(end) === 0x2d) end++;
  while (end < text.length) {
    const d = text.charCodeAt(end);
    if (d >= 0x30 && d <= 0x39) end++;
    else if (d === 0x2e) dot = end++;
    else if (d === 0x65 || d === 0x45 || d === 0x2b || d === 0x2d) {
      exponent = true;
      end++;
    } else break;
  }
  let after = end;
  while (after < text.length && isWhitespace(text.charCodeAt(after))) after++;
  const next = text.charCodeAt(after);
  if (next !== 0x2c && next !== 0x7d && next !== 0x5d) return false; // inside a string
  const suspect = exponent || end - start >= 16 ||
    (dot >= 0 && text.charCodeAt(end - 1) === 0x30) ||
    text.startsWith("-0", start) || text.startsWith("0.000000", start);
  if (!suspect) return false;
  const token = text.slice(start, end);
  return String(Number(token)) !== token;
}

function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** A number's value: the JavaScript number when it writes back the same, else its exact text. */
function numberValue(source: string): unknown {
  const value = Number(source);
  if (!Number.isFinite(value) || String(value) === source) return value;
  return rawJsonNumber(source);
}

/** The bare words a value may be: JSON's, and Python's non-finite numbers. */
const LITERALS: readonly (readonly [string, unknown])[] = [
  ["true", true],
  ["false", false],
  ["null", null],
  ["NaN", NaN],
  ["Infinity", Infinity],
];

/** What `open` returns for a container that did not close at once. */
const OPENED = Symbol("opened");

interface Frame {
  readonly container: Record<string, unknown> | unknown[];
  readonly path: string;
  /** The key whose value comes next (objects only). */
  key: string;
}

/** The exact parser: one pass, an explicit stack, no recursion. */
function parseExact(text: string): unknown {
  return new ExactParser(text).parse();
}

/** What `ExactParser`'s `#complete` returns while the root value is not complete. */
const MORE = Symbol("more");

/** One parse of one text: the position, and the containers open at it. */
class ExactParser {
  readonly #text: string;
  readonly #stack: Frame[] = [];
  #i = 0;

  constructor(text: string) {
    this.#text = text;
  }

  parse(): unknown {
    const text = this.#text;
    while (true) {
      // A value starts at i.
      this.#skip();
      const c = text.charCodeAt(this.#i);
      let value: unknown;
      if (c === 0x7b || c === 0x5b) {
        value = this.#open(this.#childPath());
        if (value === OPENED) continue;
      } else if (c === 0x22) {
        value = this.#readString();
      } else {
        value = this.#readWord(c);
      }
      const done = this.#complete(value);
      if (done !== MORE) return done;
    }
  }

  #fail(expected: string): never {
    throw new InputJsonError(
      `expected ${expected} at column ${this.#i + 1}, got ${found(this.#text, this.#i)}`,
    );
  }

  #skip(): void {
    const text = this.#text;
    while (this.#i < text.length && isWhitespace(text.charCodeAt(this.#i))) this.#i++;
  }

  /** A number or a bare word (`true`, `NaN`, ...) at `i`, whose first code is `c`. */
  #readWord(c: number): unknown {
    const text = this.#text;
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      if (text.startsWith("-Infinity", this.#i)) {
        this.#i += 9;
        return -Infinity;
      }
      NUMBER.lastIndex = this.#i;
      const match = NUMBER.exec(text);
      if (match === null) this.#fail("a number");
      this.#i += match[0].length;
      return numberValue(match[0]);
    }
    const literal = LITERALS.find(([word]) => text.startsWith(word, this.#i));
    if (literal === undefined) this.#fail("a JSON value");
    this.#i += literal[0].length;
    return literal[1];
  }

  #readString(): string {
    const text = this.#text;
    const start = this.#i;
    let escaped = false;
    let i;
    for (i = start + 1; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x22) break;
      if (c === 0x5c) {
        escaped = true;
        i++;
      } else if (c < 0x20) {
        this.#i = i;
        this.#fail("a closing quote before a control character");
      }
    }
    if (i >= text.length) this.#fail("a closing quote for the string starting here");
    this.#i = i + 1;
    if (!escaped) return text.slice(start + 1, i);
    try {
      return JSON.parse(text.slice(start, i + 1));
    } catch {
      this.#i = start;
      return this.#fail("a string with valid escapes");
    }
  }

  /** Opens an object or array at `i`: pushes it, or returns it when it closes at once (`{}`). */
  #open(path: string): unknown {
    if (this.#stack.length >= MAX_NESTING_DEPTH) {
      throw new InputJsonError(
        `expected nesting of at most ${MAX_NESTING_DEPTH} levels, got deeper at ${path}`,
      );
    }
    const isObject = this.#text.charCodeAt(this.#i) === 0x7b;
    const container = isObject ? {} : [];
    this.#i++;
    this.#skip();
    if (this.#text.charCodeAt(this.#i) === (isObject ? 0x7d : 0x5d)) {
      this.#i++;
      return container;
    }
    const frame: Frame = { container, path, key: "" };
    if (isObject) this.#readKey(frame);
    this.#stack.push(frame);
    return OPENED;
  }

  #readKey(frame: Frame): void {
    if (this.#text.charCodeAt(this.#i) !== 0x22) this.#fail("a string key");
    frame.key = this.#readString();
    if (Object.hasOwn(frame.container, frame.key)) {
      throw new InputJsonError(
        `duplicate key ${printable(JSON.stringify(frame.key))} at ${frame.path}: ` +
          `expected each key once in an object`,
      );
    }
    this.#skip();
    if (this.#text.charCodeAt(this.#i) !== 0x3a) this.#fail("':' after a key");
    this.#i++;
  }

  #childPath(): string {
    const top = this.#stack[this.#stack.length - 1];
    if (top === undefined) return "(root)";
    const parent = top.path === "(root)" ? "" : top.path;
    return Array.isArray(top.container)
      ? childPath(parent, top.container.length)
      : childPath(parent, top.key);
  }

  /**
   * The value is complete: hands it to its container, closing containers as they end. Returns
   * the root value once it is complete (and nothing follows it), else {@linkcode MORE}.
   */
  #complete(value: unknown): unknown {
    const stack = this.#stack;
    while (true) {
      const top = stack[stack.length - 1];
      if (top === undefined) {
        this.#skip();
        if (this.#i < this.#text.length) this.#fail("the end of the text");
        return value;
      }
      if (Array.isArray(top.container)) top.container.push(value);
      else if (top.key === "__proto__") {
        Object.defineProperty(top.container, "__proto__", {
          value,
          writable: true,
          enumerable: true,
          configurable: true,
        });
      } else top.container[top.key] = value;
      this.#skip();
      const next = this.#text.charCodeAt(this.#i);
      const isArray = Array.isArray(top.container);
      if (next === 0x2c) {
        this.#i++;
        this.#skip();
        if (!isArray) this.#readKey(top);
        return MORE;
      }
      if (next === (isArray ? 0x5d : 0x7d)) {
        this.#i++;
        stack.pop();
        value = top.container;
        continue;
      }
      this.#fail(isArray ? "',' or ']'" : "',' or '}'");
    }
  }
}

/** What is at `i`, for a message: a short printable excerpt, or the end of the text. */
function found(text: string, i: number): string {
  if (i >= text.length) return "the end of the text";
  return printable(JSON.stringify(text.slice(i, i + 12)), 40);
}
