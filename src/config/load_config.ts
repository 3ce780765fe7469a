/**
 * Reading a configuration file: JSON with comments (and trailing commas) parsed by
 * `jsonc-parser`, duplicate keys refused, then validated by the schema. Every problem is
 * reported with where it is (line and column for syntax, the field path for the rest), what
 * was expected and what came.
 *
 * @module
 */

import * as jsonc from "jsonc-parser";
import { dirname } from "node:path";
import { printable } from "../io/printable.ts";
import { resolveNatsFiles, resolvePostgresFiles } from "./resolve_config.ts";
import { formatPath } from "./config_problems.ts";
import { type ObserverConfig } from "./config_types.ts";
import { validateConfig } from "./config_schema.ts";

/** A configuration that could not be read or is not valid; `problems` lists each one. */
export class ConfigError extends Error {
  /** Each problem, e.g. `sinks[2].sample.every: expected a positive integer, got 0 (number)`. */
  readonly problems: readonly string[];

  /** Makes the error; the message names the file and lists the problems. */
  constructor(file: string, problems: readonly string[]) {
    super(
      `invalid configuration ${printable(file)}: ${problems.length} problem(s)\n` +
        problems.map((p) => `  ${p}`).join("\n"),
    );
    this.name = "ConfigError";
    this.problems = problems;
  }
}

function lineColumn(text: string, offset: number): string {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 0x0a) {
      line++;
      start = i + 1;
    }
  }
  return `line ${line}, column ${offset - start + 1}`;
}

/** Syntax problems and duplicate keys of the JSONC tree, with their line and column. */
function syntaxProblems(text: string): { tree: jsonc.Node | undefined; problems: string[] } {
  const errors: jsonc.ParseError[] = [];
  const tree = jsonc.parseTree(text, errors, {
    allowTrailingComma: true,
    disallowComments: false,
  });
  const problems = [
    ...new Set(errors.map((e) => {
      const got = e.offset >= text.length
        ? "the end of the file"
        : JSON.stringify(printable(text.slice(e.offset, e.offset + Math.max(1, e.length)), 20));
      return `${lineColumn(text, e.offset)}: ${jsonc.printParseErrorCode(e.error)}, got ${got}`;
    })),
  ];
  const pending = tree === undefined ? [] : [tree];
  while (pending.length > 0) {
    const node = pending.pop()!;
    if (node.type === "object") {
      const seen = new Set<string>();
      for (const property of node.children ?? []) {
        const keyNode = property.children?.[0];
        const key = keyNode?.value;
        if (typeof key === "string") {
          if (seen.has(key)) {
            const path = formatPath(jsonc.getNodePath(keyNode!));
            problems.push(
              `${lineColumn(text, keyNode!.offset)}: ${path}: expected each key once, got ` +
                `${JSON.stringify(printable(key))} again`,
            );
          }
          seen.add(key);
        }
        const valueNode = property.children?.[1];
        if (valueNode !== undefined) pending.push(valueNode);
      }
    } else if (node.type === "array") {
      pending.push(...(node.children ?? []));
    }
  }
  return { tree, problems };
}

/**
 * Parses and validates the text of a configuration file; `file` names it in errors. Throws
 * {@linkcode ConfigError} listing every problem.
 *
 * @example
 * ```ts
 * import { parseConfig } from "./load_config.ts";
 * const config = parseConfig('{ "sinks": [{ "type": "stdout" }] } // all records', "x.jsonc");
 * config.sinks[0].type; // => "stdout"
 * ```
 */
export function parseConfig(text: string, file: string): ObserverConfig {
  const { tree, problems } = syntaxProblems(text);
  if (problems.length > 0 || tree === undefined) {
    throw new ConfigError(
      file,
      problems.length > 0 ? problems : ["expected a JSON object, got nothing"],
    );
  }
  const input: unknown = jsonc.getNodeValue(tree);
  const config = validateConfig(input);
  if (Array.isArray(config)) throw new ConfigError(file, config);
  return config;
}

/**
 * Reads and validates a configuration file. Throws {@linkcode ConfigError} when it cannot be read
 * or is not valid.
 *
 * @example
 * ```ts
 * import { loadConfig } from "./load_config.ts";
 * const config = await loadConfig("examples/config/fan_out.jsonc");
 * ```
 */
export async function loadConfig(path: string): Promise<ObserverConfig> {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(await Deno.readFile(path));
  } catch (error) {
    const why = error instanceof TypeError ? "not valid UTF-8" : (error as Error).message;
    throw new ConfigError(path, [`cannot read it: ${why}`]);
  }
  const config = parseConfig(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, path);
  // A postgres sink's TLS and password files, and the files of NATS auth and tls objects, are
  // named relative to the configuration file.
  return resolveNatsFiles(resolvePostgresFiles(config, dirname(path)), dirname(path));
}
