/**
 * Sizes of the code: `observer.ts` at most 120 lines, no file in src/ over 450 lines, no
 * function in src/ over 80 lines (issue 23). `deno task check` runs this file.
 *
 * How functions are found: Deno's own parser, through the lint plugin API
 * (`Deno.lint.runPlugin`, available inside `deno test`), so there is no TypeScript package and no
 * hand-written brace matcher to fool with braces in strings, regular expressions or template
 * literals. Every `FunctionDeclaration`, `FunctionExpression` (which is also the body of every
 * class and object method, getter and setter) and `ArrowFunctionExpression` counts, wherever it
 * stands. A function's size is the lines its node spans, first to last, both included: its
 * comments, blank lines and nested functions count (a closure is part of the function that
 * holds it), its JSDoc above it does not. A file's size is its number of lines, as `wc -l`
 * counts them.
 *
 * What is over and may stay for now is in {@linkcode ALLOWED}, each with the reason; an entry
 * that is no longer over fails too, so the list only shrinks.
 */
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { PROJECT_ROOT } from "./helpers/project.ts";

const MAX_ENTRY_LINES = 120;
const MAX_FILE_LINES = 450;
const MAX_FUNCTION_LINES = 80;

/**
 * Offenders that stay for now: `<path from src/>` for a file, `<path>#<function>` for a
 * function, with why. Shrink it; never grow it without a reason a reviewer accepts.
 */
const ALLOWED: Readonly<Record<string, string>> = {};

const SRC = join(PROJECT_ROOT, "src");

/** One function's place and size. */
interface FunctionSize {
  readonly name: string;
  readonly line: number;
  readonly lines: number;
}

/** Lines as `wc -l` counts them: newline characters, plus an unterminated last line. */
function lineCount(text: string): number {
  const newlines = text.split("\n").length - 1;
  return text.length > 0 && !text.endsWith("\n") ? newlines + 1 : newlines;
}

/** The 1-based line of each offset, by binary search over the offsets where lines start. */
function lineLocator(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return (offset) => {
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (starts[mid] <= offset) low = mid;
      else high = mid - 1;
    }
    return low + 1;
  };
}

type FunctionNode =
  | Deno.lint.FunctionDeclaration
  | Deno.lint.FunctionExpression
  | Deno.lint.ArrowFunctionExpression;

/** The text of a key or binding, where it has a simple one. */
function keyText(node: Deno.lint.Node | null | undefined): string | undefined {
  if (node === null || node === undefined) return undefined;
  if (node.type === "Identifier" || node.type === "PrivateIdentifier") {
    return node.type === "PrivateIdentifier" ? `#${node.name}` : node.name;
  }
  if (node.type === "Literal") return String(node.value);
  return undefined;
}

/** A readable name: its own, or that of what it is assigned to (a const, a method, a field). */
function functionName(node: FunctionNode, line: number): string {
  if (node.type !== "ArrowFunctionExpression" && node.id) return node.id.name;
  const parent = node.parent;
  switch (parent.type) {
    case "VariableDeclarator":
      return keyText(parent.id) ?? `(function at line ${line})`;
    case "MethodDefinition":
    case "Property":
    case "PropertyDefinition":
      return keyText(parent.key) ?? `(function at line ${line})`;
    default:
      return `(function at line ${line})`;
  }
}

/** Every function of `text` with its size, found by Deno's parser. */
function functionSizes(fileName: string, text: string): FunctionSize[] {
  const found: FunctionSize[] = [];
  const lineOf = lineLocator(text);
  const measure = (node: FunctionNode) => {
    const line = lineOf(node.range[0]);
    // range[1] is one past the last character, which is on the last line.
    const lines = lineOf(node.range[1] - 1) - line + 1;
    found.push({ name: functionName(node, line), line, lines });
  };
  const plugin: Deno.lint.Plugin = {
    name: "code-size",
    rules: {
      functions: {
        create: () => ({
          FunctionDeclaration: measure,
          FunctionExpression: measure,
          ArrowFunctionExpression: measure,
        }),
      },
    },
  };
  Deno.lint.runPlugin(plugin, fileName, text);
  return found;
}

async function* sourceFiles(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* sourceFiles(path);
    else if (/\.(ts|js)$/.test(entry.name)) yield path;
  }
}

Deno.test("code size: the measure counts lines as wc -l and spans functions first line to last", () => {
  assert.equal(lineCount(""), 0);
  assert.equal(lineCount("a\nb\n"), 2);
  assert.equal(lineCount("a\nb"), 2);
  const text = [
    "function one() {", //  1
    "  const s = '}}}';", // 2: braces in strings do not end it
    "  return s;", //        3
    "}", //                  4
    "class A {", //          5
    "  m() {", //            6
    "    return 1;", //      7
    "  }", //                8
    "  #p = () =>", //       9
    "    2;", //            10
    "}", //                 11
    "const o = { k() { return `${'}'}`; } };", // 12
    "[1].map((x) => {", //  13
    "  return x;", //       14
    "});", //               15
  ].join("\n") + "\n";
  const sizes = functionSizes("probe.ts", text);
  const byName = Object.fromEntries(sizes.map((f) => [f.name, f]));
  assert.deepEqual(byName.one, { name: "one", line: 1, lines: 4 });
  assert.deepEqual(byName.m, { name: "m", line: 6, lines: 3 });
  assert.deepEqual(byName["#p"], { name: "#p", line: 9, lines: 2 });
  assert.deepEqual(byName.k, { name: "k", line: 12, lines: 1 });
  assert.deepEqual(byName["(function at line 13)"], {
    name: "(function at line 13)",
    line: 13,
    lines: 3,
  });
});

Deno.test(`code size: observer.ts <= ${MAX_ENTRY_LINES} lines, src/ files <= ${MAX_FILE_LINES}, functions <= ${MAX_FUNCTION_LINES}`, async () => {
  const over: string[] = [];
  const allowedSeen = new Set<string>();
  const note = (key: string, message: string) => {
    if (key in ALLOWED) allowedSeen.add(key);
    else over.push(message);
  };
  const entry = lineCount(await Deno.readTextFile(join(PROJECT_ROOT, "observer.ts")));
  if (entry > MAX_ENTRY_LINES) {
    over.push(`observer.ts: ${entry} lines (at most ${MAX_ENTRY_LINES})`);
  }
  for await (const path of sourceFiles(SRC)) {
    const rel = relative(SRC, path);
    const text = await Deno.readTextFile(path);
    const lines = lineCount(text);
    if (lines > MAX_FILE_LINES) {
      note(rel, `src/${rel}: ${lines} lines (at most ${MAX_FILE_LINES})`);
    }
    for (const fn of functionSizes(path, text)) {
      if (fn.lines <= MAX_FUNCTION_LINES) continue;
      note(
        `${rel}#${fn.name}`,
        `src/${rel}:${fn.line} ${fn.name}: ${fn.lines} lines (at most ${MAX_FUNCTION_LINES})`,
      );
    }
  }
  const stale = Object.keys(ALLOWED).filter((key) => !allowedSeen.has(key));
  assert.deepEqual(over.sort(), [], "split by concern: move code to where it belongs");
  assert.deepEqual(stale, [], "no longer over the limit: remove these from ALLOWED");
});
