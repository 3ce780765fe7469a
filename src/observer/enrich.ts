/**
 * Enrichment: the `_schema`, `_quality` and `_interpretation` blocks of a record's metadata.
 *
 * @module
 */

import type { JsonObject, JsonValue } from "../contract/json_value.ts";
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
  metadata._quality = describeQuality(record);
  metadata._interpretation = describeInterpretation(record);
  return record;
}

function countKeys(object: JsonObject): number {
  let n = 0;
  for (const _ in object) n++;
  return n;
}

/**
 * Quality flags (`EMPTY_INPUTS`, `NO_COMPUTED`, `NO_STATE`) and counting stats of a record.
 *
 * @example
 * ```ts
 * describeQuality(record).flags; // => ["NO_COMPUTED", "NO_STATE"]
 * ```
 */
export function describeQuality(record: PatternRecord): RecordQuality {
  const { meta, observation } = record.snapshot;
  const inputsCount = countKeys(observation.inputs);
  const computedCount = countKeys(observation.computed);
  const stateCount = countKeys(observation.state);
  const flags: string[] = [];
  if (inputsCount === 0) flags.push("EMPTY_INPUTS");
  if (computedCount === 0) flags.push("NO_COMPUTED");
  if (stateCount === 0) flags.push("NO_STATE");
  return {
    flags,
    stats: {
      inputs_count: inputsCount,
      computed_count: computedCount,
      state_count: stateCount,
      timestamp_ms: meta.timestamp_ms,
      timestamp_iso: meta.timestamp,
      time_resolution: "ms",
      has_price: typeof observation.inputs.price === "number",
      has_volume: typeof observation.inputs.volume === "number",
    },
  };
}

/**
 * A neutral summary (where, what, price and volume when present) and hints such as
 * `HAS_PRICE`. Describes; never advises.
 *
 * @example
 * ```ts
 * describeInterpretation(record).hints; // => ["HAS_PRICE", "HAS_VOLUME"]
 * ```
 */
export function describeInterpretation(record: PatternRecord): RecordInterpretation {
  const { context, observation } = record.snapshot;
  const summary: Record<string, JsonValue> = {
    source: context.source,
    stage: context.stage,
    symbol: context.symbol ?? null,
    market: context.market ?? null,
  };
  const hints: string[] = [];
  if (typeof observation.inputs.price === "number") {
    summary.price = observation.inputs.price;
    hints.push("HAS_PRICE");
  }
  if (typeof observation.inputs.volume === "number") {
    summary.volume = observation.inputs.volume;
    hints.push("HAS_VOLUME");
  }
  if (countKeys(observation.computed) > 0) hints.push("HAS_COMPUTED");
  if (countKeys(observation.state) > 0) hints.push("HAS_STATE");
  return { summary, hints };
}
