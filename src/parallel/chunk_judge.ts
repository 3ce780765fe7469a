/**
 * What a worker of parallel recording does with one chunk of whole lines: judge each line in the
 * input's format, run each snapshot through the {@linkcode SnapshotJudge} (the Observer's own
 * code), serialize the records and encode them as the JSONL sink would, and say what became of
 * every other line. Line numbers are counted from 1 within the chunk; the writer, which knows
 * how many lines came before, makes them absolute. Each record is encoded as soon as it is
 * serialized, into one buffer for the whole chunk (a reused one, when given).
 *
 * @module
 */

import type { TextLine } from "../io/line_reader.ts";
import { NON_NUMERIC_INPUT_FLAG } from "../observer/enrich.ts";
import type { SnapshotJudge } from "../observer/snapshot_judge.ts";
import type { BadLine } from "../records/record_reader.ts";
import {
  type InputFormat,
  lineJudgeOf,
  openLines,
  snapshotsOf,
} from "../sources/snapshot_inputs.ts";
import type { SnapshotLine } from "../sources/snapshot_lines.ts";

/** How the lines of an input are read. */
export interface ChunkInput {
  /** The input's name in messages (a path). */
  readonly name: string;
  /** Its format; `auto` until the first non-blank line has settled it. */
  readonly format: InputFormat;
  /** `meta.mode` for snapshots made from KIS archives. */
  readonly mode?: string;
  /**
   * Also serialize the record of each blocked snapshot (`ChunkOutcome.record`), for a caller
   * that shows blocked snapshots from memory (the service's live stream). Default false.
   */
  readonly blockedRecords?: boolean;
}

/** A line of the chunk that did not become a record. */
export interface ChunkOutcome {
  /** `rejected`: not a snapshot; `blocked`: validation or the guard stopped its snapshot. */
  readonly kind: "rejected" | "blocked";
  /** The line as read, numbered within the chunk. */
  readonly source: TextLine;
  /** Why. */
  readonly reasons: readonly string[];
  /** `meta.run_id` of a blocked snapshot, when it had one. */
  readonly runId?: string;
  /** Which stage blocked it. */
  readonly blockedBy?: "validation" | "guard";
  /** The format the line's text came in (lines of a dead-letter file). */
  readonly format?: SnapshotLine["format"];
  /** Records of the chunk that came before this line (its place among them). */
  readonly recordsBefore: number;
  /** The blocked snapshot's record as JSON, when the input asked for `blockedRecords`. */
  readonly record?: string;
}

/** What became of one chunk. */
export interface ChunkVerdict {
  /** The input's format, settled by this chunk or before; undefined while only blank lines came. */
  readonly format?: Exclude<InputFormat, "auto">;
  /** Lines in the chunk (blank ones included). */
  readonly lines: number;
  /** Records in `encoded`. */
  readonly records: number;
  /** How many of them carry the `NON_NUMERIC_INPUT` quality flag. */
  readonly nonNumeric: number;
  /**
   * The records' JSON lines, UTF-8, each ending in `\n` (empty when none): a view at the start
   * of the buffer they were encoded into.
   */
  readonly encoded: Uint8Array;
  /** The other lines, in input order. */
  readonly outcomes: readonly ChunkOutcome[];
  /** A torn last line of a record file (last chunk only), numbered within the chunk. */
  readonly tornTail?: BadLine;
}

const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

/** JSON lines encoded one after another into one buffer, replaced by a larger one when full. */
class EncodedLineBuffer {
  #buffer: Uint8Array;
  #used = 0;
  /** Lines added. */
  count = 0;

  constructor(buffer: Uint8Array | undefined) {
    this.#buffer = buffer ?? EMPTY;
  }

  /** Appends `json` and a `\n`. */
  add(json: string): void {
    const free = this.#buffer.length - this.#used;
    if (free > json.length) {
      const { read, written } = encoder.encodeInto(json, this.#buffer.subarray(this.#used));
      if (read === json.length && written < free) {
        this.#used += written;
        this.#buffer[this.#used++] = 0x0a;
        this.count++;
        return;
      }
    }
    // Room for the worst case (3 bytes per UTF-16 unit), at least double: rarely grows twice.
    const larger = new Uint8Array(
      Math.max(2 * this.#buffer.length, this.#used + 3 * json.length + 1, 64 * 1024),
    );
    larger.set(this.#buffer.subarray(0, this.#used));
    this.#buffer = larger;
    this.add(json);
  }

  /** The lines added, a view at the start of the buffer. */
  get bytes(): Uint8Array {
    return this.count === 0 ? EMPTY : this.#buffer.subarray(0, this.#used);
  }
}

/**
 * Judges the lines of one chunk (see the module notes), encoding the records into `buffer` when
 * they fit (into a new, larger buffer when not; `encoded` then views that one).
 *
 * @example
 * ```ts
 * import { judgeChunk } from "./chunk_judge.ts";
 * import { SnapshotJudge } from "../observer/snapshot_judge.ts";
 * const verdict = await judgeChunk(
 *   [{ text: "not json", number: 1, terminated: true }],
 *   { name: "in.jsonl", format: "snapshots" },
 *   new SnapshotJudge(),
 * );
 * verdict.outcomes[0].kind; // => "rejected"
 * ```
 */
export async function judgeChunk(
  lines: readonly TextLine[],
  input: ChunkInput,
  judge: SnapshotJudge,
  buffer?: Uint8Array,
): Promise<ChunkVerdict> {
  const opened = await openLines(lines.values(), input.format);
  if (opened.empty) {
    return {
      format: input.format === "auto" ? undefined : input.format,
      lines: lines.length,
      records: 0,
      nonNumeric: 0,
      encoded: EMPTY,
      outcomes: [],
    };
  }
  const format = opened.format;
  const outcomes: ChunkOutcome[] = [];
  const records = new EncodedLineBuffer(buffer);
  let tornTail: BadLine | undefined;
  let nonNumeric = 0;
  const take = (item: SnapshotLine) => {
    if (!item.ok) {
      outcomes.push({
        kind: "rejected",
        source: item.source,
        reasons: [item.reason],
        format: item.format,
        recordsBefore: records.count,
      });
      return;
    }
    const verdict = judge.judge(item.snapshot);
    if (verdict.action === "PASS") {
      records.add(JSON.stringify(verdict.record));
      if (verdict.record.metadata._quality?.flags.includes(NON_NUMERIC_INPUT_FLAG)) nonNumeric++;
      return;
    }
    outcomes.push({
      kind: "blocked",
      source: item.source,
      reasons: [verdict.reason],
      runId: verdict.runId,
      blockedBy: verdict.blockedBy,
      format: item.format,
      recordsBefore: records.count,
      ...(input.blockedRecords
        ? { record: JSON.stringify(judge.blockedRecord(item.snapshot, verdict)) }
        : {}),
    });
  };
  const judgeLine = lineJudgeOf(format, input.mode);
  if (judgeLine !== undefined) {
    // A plain loop over the array (blank lines, leading ones too, judge to nothing).
    for (const line of lines) {
      const item = judgeLine(line);
      if (item !== undefined) take(item);
    }
  } else {
    const items = snapshotsOf(input.name, format, opened.lines, {
      mode: input.mode,
      onTornTail: (bad) => tornTail = bad,
    });
    for await (const item of items) take(item);
  }
  return {
    format,
    lines: lines.length,
    records: records.count,
    nonNumeric,
    encoded: records.bytes,
    outcomes,
    ...(tornTail === undefined ? {} : { tornTail }),
  };
}
