/**
 * A precise complaint about one field of an untrusted value.
 *
 * @module
 */

import { describeValue } from "./json_value.ts";

/** One problem found at one field path: what was expected there and what came. */
export interface FieldIssue {
  /** Dotted path with array indices, e.g. `observation.inputs.depth[1]`. */
  readonly path: string;
  /** What the contract expects at that path, e.g. `a finite number`. */
  readonly expected: string;
  /** What came, described for a human, e.g. `-Infinity`. */
  readonly got: string;
}

/**
 * Builds a {@linkcode FieldIssue} from the offending value.
 *
 * @example
 * ```ts
 * fieldIssue("meta.run_id", "a non-empty string", "");
 * // => { path: "meta.run_id", expected: "a non-empty string", got: "\"\" (string)" }
 * ```
 */
export function fieldIssue(path: string, expected: string, value: unknown): FieldIssue {
  return { path, expected, got: describeValue(value) };
}

/**
 * Formats an issue as one line: `path: expected X, got Y`.
 *
 * @example
 * ```ts
 * formatFieldIssue({ path: "a", expected: "a string", got: "1 (number)" });
 * // => "a: expected a string, got 1 (number)"
 * ```
 */
export function formatFieldIssue(issue: FieldIssue): string {
  return `${issue.path}: expected ${issue.expected}, got ${issue.got}`;
}

/**
 * Formats several issues as one line, separated by `; `.
 *
 * @example
 * ```ts
 * import { type FieldIssue, formatFieldIssues } from "./field_issue.ts";
 * declare const issues: FieldIssue[];
 * formatFieldIssues(issues); // "a: expected a string, got 1 (number); b: expected ..."
 * ```
 */
export function formatFieldIssues(issues: readonly FieldIssue[]): string {
  return issues.map(formatFieldIssue).join("; ");
}

/**
 * Appends `key` to a field path, using `[i]` for array indices and quoting odd keys.
 *
 * @example
 * ```ts
 * childPath("observation.inputs", "depth"); // => "observation.inputs.depth"
 * childPath("observation.inputs.depth", 1); // => "observation.inputs.depth[1]"
 * ```
 */
export function childPath(parent: string, key: string | number): string {
  if (typeof key === "number") return `${parent}[${key}]`;
  if (/^[A-Za-z_$][\w$]*$/.test(key)) return parent === "" ? key : `${parent}.${key}`;
  return `${parent}[${JSON.stringify(key)}]`;
}
