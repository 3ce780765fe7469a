/**
 * The schema of a sink's `filter` (which records) and `sample` (how many of them), shared by the
 * configuration file and the stream's query parameters.
 *
 * @module
 */

import { z } from "zod";
import {
  type FieldCondition,
  filterPatternChars,
  MAX_FILTER_PATTERN_CHARS,
  MAX_PATTERN_LENGTH,
  MAX_PATTERNS_PER_CONDITION,
  parseFieldCondition,
  type RecordFilterSpec,
} from "../sinks/record_filter.ts";
import { type RecordSampleSpec, SAMPLE_KEYS } from "../sinks/record_sampler.ts";
import { schemaProblems } from "./config_problems.ts";

/** A positive integer; the message names `what` was expected. */
export const positiveInt = (what = "a positive integer"): z.ZodNumber =>
  z.number({ error: `expected ${what}` }).int({ error: `expected ${what}` }).positive({
    error: `expected ${what}`,
  });

/** A non-empty text. */
export const nonEmptyText: z.ZodString = z.string({ error: "expected a text" }).min(1, {
  error: "expected a non-empty text",
});

const pattern = nonEmptyText.max(MAX_PATTERN_LENGTH, {
  error: `expected a text of at most ${MAX_PATTERN_LENGTH} characters`,
});

const textMatch = z.union([
  pattern,
  z.array(pattern).min(1, { error: "expected at least one text" }),
], {
  error: "expected a text or a list of texts",
}).refine((match) => typeof match === "string" || match.length <= MAX_PATTERNS_PER_CONDITION, {
  error: `expected at most ${MAX_PATTERNS_PER_CONDITION} texts`,
});

const conditions = z.union([nonEmptyText, z.array(nonEmptyText)], {
  error: 'expected a condition such as "inputs.volume >= 1000", or a list of them',
}).transform((value, ctx): FieldCondition[] => {
  const list = typeof value === "string" ? [value] : value;
  const parsed: FieldCondition[] = [];
  list.forEach((item, i) => {
    const condition = parseFieldCondition(item);
    if ("error" in condition) {
      ctx.addIssue({
        code: "custom",
        message: condition.error,
        path: typeof value === "string" ? [] : [i],
      });
    } else {
      parsed.push(condition);
    }
  });
  return parsed;
});

const guardError = 'expected "PASS" or "BLOCK", or a list of them';
const guardAction = z.enum(["PASS", "BLOCK"], { error: guardError });

const filterSchema: z.ZodType<RecordFilterSpec, unknown> = z.lazy(() =>
  z.strictObject({
    source: textMatch.optional(),
    stage: textMatch.optional(),
    symbol: textMatch.optional(),
    market: textMatch.optional(),
    session: textMatch.optional(),
    guard: z.union([guardAction, z.array(guardAction).min(1, { error: guardError })], {
      error: guardError,
    }).optional(),
    quality_flag: textMatch.optional(),
    hint: textMatch.optional(),
    where: conditions.optional(),
    all: z.array(filterSchema).min(1, { error: "expected at least one filter" }).optional(),
    any: z.array(filterSchema).min(1, { error: "expected at least one filter" }).optional(),
    not: filterSchema.optional(),
  }, { error: "expected a filter object" })
);

/** A filter whose globs hold at most {@linkcode MAX_FILTER_PATTERN_CHARS} characters in all. */
export const boundedFilterSchema: z.ZodType<RecordFilterSpec, unknown> = filterSchema.refine(
  (spec) => filterPatternChars(spec) <= MAX_FILTER_PATTERN_CHARS,
  { error: `expected globs of at most ${MAX_FILTER_PATTERN_CHARS} characters in all` },
);

/** A `sample` object: at least one of probability, every, per_second. */
export const sampleSchema: z.ZodType<RecordSampleSpec, unknown> = z.strictObject({
  probability: z.number({ error: "expected a number in (0, 1]" }).gt(0, {
    error: "expected a number in (0, 1]",
  }).lte(1, { error: "expected a number in (0, 1]" }).optional(),
  every: positiveInt().optional(),
  per_second: positiveInt().optional(),
  key: z.enum(SAMPLE_KEYS, { error: `expected one of ${SAMPLE_KEYS.join(", ")}` }).optional(),
}, { error: "expected a sample object" }).refine(
  (s) => s.probability !== undefined || s.every !== undefined || s.per_second !== undefined,
  { error: "expected at least one of probability, every, per_second" },
);

/**
 * Validates a filter given outside a configuration file (the stream's query parameters): the
 * typed filter, or one line per problem, paths relative to the filter.
 *
 * @example
 * ```ts
 * import { validateFilter } from "./filter_schema.ts";
 * validateFilter({ symbol: "0*", where: "inputs.volume >= 10" });
 * ```
 */
export function validateFilter(input: unknown): RecordFilterSpec | string[] {
  const result = boundedFilterSchema.safeParse(input);
  return result.success ? result.data : schemaProblems(result.error.issues, input);
}
