/**
 * The QTS Observer's data contract as a library: the snapshot a producer sends, the record the
 * Observer writes, their parsers, and the one reader of record files.
 * Everything exported here is the public surface (documented, its examples type-checked by
 * `deno task check`); every other module of `src/` is internal and may change between versions.
 * The layers behind it: `docs/architecture.md`.
 *
 * @example
 * ```ts
 * import { openRecordFile } from "./mod.ts";
 * for await (const { record } of openRecordFile("data/observer/observer.jsonl")) {
 *   console.log(record.snapshot.context.symbol, record.snapshot.observation.inputs.price);
 * }
 * ```
 *
 * @module
 */

export type { JsonObject, JsonPrimitive, JsonValue, RawJsonNumber } from "./contract/json_value.ts";
export type { FieldIssue } from "./contract/field_issue.ts";
export {
  buildSnapshot,
  type ObservationSnapshot,
  parseSnapshot,
  type SnapshotContext,
  type SnapshotInit,
  type SnapshotMeta,
  type SnapshotObservation,
  type SnapshotParse,
  type SnapshotSource,
  type SnapshotStage,
} from "./contract/snapshot.ts";
export {
  type GuardAction,
  parsePatternRecord,
  type PatternRecord,
  type RecordInterpretation,
  type RecordMetadata,
  type RecordParse,
  type RecordQuality,
  type RecordSchemaInfo,
  type Severity,
} from "./contract/pattern_record.ts";
export {
  type BadLine,
  type NamedInput,
  type OpenedInput,
  openRecordFile,
  type ReadMode,
  RecordFileError,
  type RecordInput,
  type RecordLine,
  RecordReader,
  type RecordReaderOptions,
  type RecordReadStats,
} from "./records/record_reader.ts";
export type { TextLine } from "./io/line_reader.ts";
