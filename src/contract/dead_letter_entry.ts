/**
 * The dead-letter entry: one line of a dead-letter file, holding an input line that was rejected
 * or whose snapshot was blocked, exactly as it came, with where it came from and why.
 *
 * @module
 */

import type { TextLine } from "../io/line_reader.ts";
import { type FieldIssue, fieldIssue } from "./field_issue.ts";
import { isPlainObject } from "./json_value.ts";

/** The value of `dead_letter` in every entry: marks the file's format and its version. */
export const DEAD_LETTER_FORMAT = "qts-dead-letter/v1";

/** The formats whose lines can end in a dead-letter file (what replay reads them back as). */
export type DeadLetterInputFormat = "snapshots" | "records" | "kis-swing";

/** One line of a dead-letter file. */
export interface DeadLetterEntry {
  /** Always {@linkcode DEAD_LETTER_FORMAT}. */
  readonly dead_letter: typeof DEAD_LETTER_FORMAT;
  /** `rejected`: not a snapshot; `blocked`: a snapshot that validation or the guard blocked. */
  readonly kind: "rejected" | "blocked";
  /** The input's name: a path, or `stdin`. */
  readonly input: string;
  /** 1-based line number in that input. */
  readonly line: number;
  /** How the line was read, and is read again on replay. */
  readonly format: DeadLetterInputFormat;
  /** Why, one entry per reason. */
  readonly reasons: readonly string[];
  /** `meta.run_id` of a blocked snapshot, when it had one. */
  readonly run_id?: string;
  /** The line exactly as it came (without its line end), or null when it could not be kept. */
  readonly text: string | null;
  /** The raw bytes, base64, of a line that was not valid UTF-8 (`text` is then a lossy copy). */
  readonly text_base64?: string;
  /** Size in bytes of a line too long to keep. */
  readonly line_bytes?: number;
  /** When the entry was written (ISO-8601 UTC). */
  readonly recorded_at: string;
}

/**
 * The dead-letter entry for `source`.
 *
 * @example
 * ```ts
 * import { deadLetterEntry } from "./dead_letter_entry.ts";
 * deadLetterEntry({
 *   kind: "rejected",
 *   input: "stdin",
 *   format: "snapshots",
 *   source: { text: "not json", number: 3, terminated: true },
 *   reasons: ["not valid JSON"],
 *   now: Date.UTC(2026, 0, 26),
 * }).text; // => "not json"
 * ```
 */
export function deadLetterEntry(item: {
  readonly kind: DeadLetterEntry["kind"];
  readonly input: string;
  readonly format: DeadLetterInputFormat;
  readonly source: TextLine;
  readonly reasons: readonly string[];
  readonly runId?: string;
  readonly now: number;
}): DeadLetterEntry {
  const { source } = item;
  const tooLong = source.problem !== undefined && source.bytes === undefined;
  const entry: DeadLetterEntry = {
    dead_letter: DEAD_LETTER_FORMAT,
    kind: item.kind,
    input: item.input,
    line: source.number,
    format: item.format,
    reasons: item.reasons,
    ...(item.runId === undefined ? {} : { run_id: item.runId }),
    text: tooLong ? null : source.text,
    ...(source.bytes === undefined ? {} : { text_base64: toBase64(source.bytes) }),
    ...(tooLong ? { line_bytes: lineBytesOf(source.problem!) } : {}),
    recorded_at: new Date(item.now).toISOString(),
  };
  return entry;
}

/** `Uint8Array.prototype.toBase64` (V8 in Deno 2.9; not yet in TypeScript's lib). */
function toBase64(bytes: Uint8Array): string {
  return (bytes as Uint8Array & { toBase64(): string }).toBase64();
}

function lineBytesOf(problem: string): number | undefined {
  const match = /got (\d+) bytes/.exec(problem);
  return match === null ? undefined : Number(match[1]);
}

const INPUT_FORMATS: readonly string[] = ["snapshots", "records", "kis-swing"];

/**
 * What replay needs of an untrusted dead-letter entry: the (perhaps fixed) `text` and the
 * `format` it came in, or the issues that make it unusable.
 *
 * @example
 * ```ts
 * import { parseDeadLetterEntry } from "./dead_letter_entry.ts";
 * parseDeadLetterEntry({ dead_letter: "qts-dead-letter/v1", format: "snapshots", text: "{}" });
 * // => { ok: true, format: "snapshots", text: "{}" }
 * ```
 */
export function parseDeadLetterEntry(
  value: unknown,
):
  | { readonly ok: true; readonly format: DeadLetterInputFormat; readonly text: string }
  | { readonly ok: false; readonly issues: readonly FieldIssue[] } {
  if (!isPlainObject(value) || value.dead_letter !== DEAD_LETTER_FORMAT) {
    const marker = isPlainObject(value) ? value.dead_letter : value;
    return {
      ok: false,
      issues: [fieldIssue("dead_letter", JSON.stringify(DEAD_LETTER_FORMAT), marker)],
    };
  }
  const issues: FieldIssue[] = [];
  if (typeof value.text !== "string") {
    issues.push(
      fieldIssue(
        "text",
        "a string (null: the line was too long to keep, it cannot be replayed)",
        value.text,
      ),
    );
  }
  if (typeof value.format !== "string" || !INPUT_FORMATS.includes(value.format)) {
    issues.push(fieldIssue("format", INPUT_FORMATS.join(" or "), value.format));
  }
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, format: value.format as DeadLetterInputFormat, text: value.text as string };
}
