/**
 * Enrichment: the `_schema`, `_quality` and `_interpretation` blocks of a record's metadata.
 *
 * @module
 */

import { isJsonNumber, type JsonObject, type JsonValue } from "../contract/json_value.ts";
import type {
  PatternRecord,
  RecordInterpretation,
  RecordQuality,
  RecordStamp,
} from "../contract/pattern_record.ts";
import { COMPAT_MIN_VERSION, RECORD_SCHEMA_VERSION } from "../contract/pattern_record.ts";

/**
 * Adds `_schema`, `_quality` and `_interpretation` to a record's metadata, in place, and
 * returns the record.
 *
 * @example
 * ```ts
 * import { enrichRecord } from "./enrich.ts";
 * import { DEFAULT_RECORD_STAMP, type PatternRecord } from "../contract/pattern_record.ts";
 * declare const record: PatternRecord;
 * enrichRecord(record, DEFAULT_RECORD_STAMP).metadata._quality?.flags; // e.g. ["NO_STATE"]
 * ```
 */
export function enrichRecord(record: PatternRecord, stamp: RecordStamp): PatternRecord {
  const metadata = record.metadata;
  metadata._schema = {
    record_schema_name: "PatternRecord",
    record_schema_version: RECORD_SCHEMA_VERSION,
    compat_min_version: COMPAT_MIN_VERSION,
    producer: stamp.producer,
    build_id: stamp.build_id,
    dataset_version: stamp.dataset_version,
    generated_at: metadata.generated_at,
    session_id: metadata.session_id,
    mode: metadata.mode,
  };
  const counts = countParts(record);
  metadata._quality = describeQuality(record, counts);
  metadata._interpretation = describeInterpretation(record, counts);
  return record;
}

function countKeys(object: JsonObject): number {
  let n = 0;
  for (const _ in object) n++;
  return n;
}

/** How many keys each observation part has. */
export interface PartCounts {
  /** Keys of `observation.inputs`. */
  readonly inputs: number;
  /** Keys of `observation.computed`. */
  readonly computed: number;
  /** Keys of `observation.state`. */
  readonly state: number;
}

/** Counts the keys of inputs, computed and state once for both descriptions. */
export function countParts(record: PatternRecord): PartCounts {
  const { observation } = record.snapshot;
  return {
    inputs: countKeys(observation.inputs),
    computed: countKeys(observation.computed),
    state: countKeys(observation.state),
  };
}

/**
 * The quality flag of a record whose `observation.inputs` hold a value that is neither a number
 * nor null under a key that names a number ({@linkcode NUMERIC_INPUT_KEYS}), e.g. a price sent as
 * the string `"71000.0"` or `"abc"`. The record is still written, as it came; the run summary
 * counts such records (`non_numeric=N`). This project's own flag: the Python QTS has no
 * equivalent, and its three flags are computed here exactly as there.
 */
export const NON_NUMERIC_INPUT_FLAG = "NON_NUMERIC_INPUT";

/** The `observation.inputs` keys whose value is expected to be a number (or null when unknown). */
export const NUMERIC_INPUT_KEYS: readonly string[] = [
  "price",
  "volume",
  "open",
  "high",
  "low",
  "close",
  "bid",
  "ask",
];

/**
 * The keys of {@linkcode NUMERIC_INPUT_KEYS} present in `inputs` with a value that is neither a
 * number nor null, in that order.
 *
 * @example
 * ```ts
 * import { nonNumericInputs } from "./enrich.ts";
 * nonNumericInputs({ price: "71000.0", volume: 12, bid: null }); // => ["price"]
 * ```
 */
export function nonNumericInputs(inputs: JsonObject): string[] {
  const keys: string[] = [];
  for (const key of NUMERIC_INPUT_KEYS) {
    if (!Object.hasOwn(inputs, key)) continue;
    const value = inputs[key];
    if (value !== null && !isJsonNumber(value)) keys.push(key);
  }
  return keys;
}

/**
 * Quality flags (`EMPTY_INPUTS`, `NO_COMPUTED`, `NO_STATE` as the Python QTS computes them, then
 * this project's {@linkcode NON_NUMERIC_INPUT_FLAG}) and counting stats of a record.
 *
 * @example
 * ```ts
 * import { describeQuality } from "./enrich.ts";
 * import type { PatternRecord } from "../contract/pattern_record.ts";
 * declare const record: PatternRecord;
 * describeQuality(record).flags; // => ["NO_COMPUTED", "NO_STATE"]
 * ```
 */
export function describeQuality(
  record: PatternRecord,
  counts: PartCounts = countParts(record),
): RecordQuality {
  const { meta, observation } = record.snapshot;
  const inputsCount = counts.inputs;
  const computedCount = counts.computed;
  const stateCount = counts.state;
  const flags: string[] = [];
  if (inputsCount === 0) flags.push("EMPTY_INPUTS");
  if (computedCount === 0) flags.push("NO_COMPUTED");
  if (stateCount === 0) flags.push("NO_STATE");
  if (inputsCount > 0 && nonNumericInputs(observation.inputs).length > 0) {
    flags.push(NON_NUMERIC_INPUT_FLAG);
  }
  return {
    flags,
    stats: {
      inputs_count: inputsCount,
      computed_count: computedCount,
      state_count: stateCount,
      timestamp_ms: meta.timestamp_ms,
      timestamp_iso: meta.timestamp,
      time_resolution: "ms",
      has_price: isJsonNumber(observation.inputs.price),
      has_volume: isJsonNumber(observation.inputs.volume),
    },
  };
}

/**
 * A neutral summary (where, what, price and volume when present) and hints such as
 * `HAS_PRICE`. Describes; never advises.
 *
 * @example
 * ```ts
 * import { describeInterpretation } from "./enrich.ts";
 * import type { PatternRecord } from "../contract/pattern_record.ts";
 * declare const record: PatternRecord;
 * describeInterpretation(record).hints; // => ["HAS_PRICE", "HAS_VOLUME"]
 * ```
 */
export function describeInterpretation(
  record: PatternRecord,
  counts: PartCounts = countParts(record),
): RecordInterpretation {
  const { context, observation } = record.snapshot;
  const summary: Record<string, JsonValue> = {
    source: context.source,
    stage: context.stage,
    symbol: context.symbol ?? null,
    market: context.market ?? null,
  };
  const hints: string[] = [];
  if (isJsonNumber(observation.inputs.price)) {
    summary.price = observation.inputs.price;
    hints.push("HAS_PRICE");
  }
  if (isJsonNumber(observation.inputs.volume)) {
    summary.volume = observation.inputs.volume;
    hints.push("HAS_VOLUME");
  }
  if (counts.computed > 0) hints.push("HAS_COMPUTED");
  if (counts.state > 0) hints.push("HAS_STATE");
  return { summary, hints };
}
