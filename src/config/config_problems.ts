/**
 * The problems of a configuration as people read them: the field path (`sinks[2].sample.every`),
 * what was expected and what came, with secrets never echoed.
 *
 * @module
 */

import type { z } from "zod";

/** One problem zod found. */
export type ZodIssue = z.core.$ZodIssue;
import { describeValue } from "../contract/json_value.ts";
import { printable } from "../io/printable.ts";
import { maskPassword } from "../sinks/postgres_table.ts";
import { hiddenConfigValue } from "./nats_security.ts";

/** True for a URL with a password in it. */
function hasPassword(text: string): boolean {
  return URL.canParse(text) && maskPassword(text) !== text;
}

/**
 * Formats a field path as people write it: `sinks[2].sample.every`.
 *
 * @example
 * ```ts
 * import { formatPath } from "./config_problems.ts";
 * formatPath(["sinks", 2, "sample", "every"]); // => "sinks[2].sample.every"
 * ```
 */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out === "" ? "(top level)" : out;
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let at = value;
  for (const key of path) {
    if (typeof at !== "object" || at === null || !Object.hasOwn(at, key)) return undefined;
    at = (at as Record<PropertyKey, unknown>)[key];
  }
  return at;
}

/**
 * One line per problem of a failed parse, each with the path of the field, what was expected and
 * what came (never a password or anything under a NATS `auth` object).
 */
export function schemaProblems(issues: readonly ZodIssue[], input: unknown): string[] {
  const problems: string[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        problems.push(
          `${formatPath([...issue.path, key])}: expected no such field (unknown key ${
            JSON.stringify(printable(key))
          })`,
        );
      }
      continue;
    }
    const message = issue.code === "invalid_union" && "discriminator" in issue
      ? `expected "${issue.discriminator}" one of ${
        (issue as { options?: unknown[] }).options?.map((o) => JSON.stringify(o)).join(", ")
      }`
      : issue.message;
    const value = valueAt(input, issue.path);
    // A URL may hold a password (a PostgreSQL or NATS URL): it is never echoed whole; nor is
    // anything under a NATS auth object (a secret written where its name belongs).
    const shown = hiddenConfigValue(issue.path, value) ??
      (typeof value === "string" && hasPassword(value)
        ? `${JSON.stringify(printable(maskPassword(value)))} (string)`
        : describeValue(value));
    const got = message.includes(", got ") ? "" : `, got ${shown}`;
    problems.push(`${formatPath(issue.path)}: ${message}${got}`);
  }
  return problems;
}
