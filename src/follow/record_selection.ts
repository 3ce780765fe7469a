/**
 * What a follower takes from the lines it reads: the records (parsed lazily), past its filter and
 * its sampling, counting the lines that are not records, the records the filter left out and
 * those the sampling did not keep.
 *
 * @module
 */

import { isBlankLine } from "../io/line_reader.ts";
import type { Logger } from "../log/logging.ts";
import type { RecordPredicate } from "../sinks/record_filter.ts";
import type { compileSampler } from "../sinks/record_sampler.ts";
import type { LoggedRecord } from "../sinks/sink.ts";
import { detachedRecord, loggedRecord, soundRecord } from "./logged_record.ts";
import type { LogChunk } from "./log_reader.ts";

/** A compiled sampler with its counters. */
export type Sampler = ReturnType<typeof compileSampler>;

/**
 * Selects the records of chunks for one follower and counts what it leaves out.
 *
 * @example
 * ```ts
 * import { RecordSelection } from "./record_selection.ts";
 * import { getObserverLogger } from "../log/logging.ts";
 * import type { LogChunk } from "./log_reader.ts";
 * declare const chunk: LogChunk;
 * const selection = new RecordSelection("db", getObserverLogger("follow"));
 * const batch = selection.select(chunk);
 * selection.skipped; // lines that were not records
 * ```
 */
export class RecordSelection {
  /** Log lines that were not records. */
  skipped = 0;
  /** Records the filter did not take. */
  filtered = 0;
  /** Records the filter took and the sampling did not keep. */
  sampled = 0;
  readonly #follower: string;
  readonly #logger: Logger;
  readonly #filter: RecordPredicate | undefined;
  readonly #sampler: Sampler | undefined;

  /** A selection for follower `follower`, with its filter and sampler, if any. */
  constructor(follower: string, logger: Logger, filter?: RecordPredicate, sampler?: Sampler) {
    this.#follower = follower;
    this.#logger = logger;
    this.#filter = filter;
    this.#sampler = sampler;
  }

  /** The sampler's counters (for the checkpoint), or undefined without sampling. */
  samplerState(): ReturnType<Sampler["state"]> | undefined {
    return this.#sampler?.state();
  }

  /** The records of a chunk this follower delivers (counting what it leaves out). */
  select(chunk: LogChunk): LoggedRecord[] {
    const batch: LoggedRecord[] = [];
    const filter = this.#filter;
    const sampler = this.#sampler;
    for (const line of chunk.lines) {
      if (isBlankLine(line)) continue;
      const logged = loggedRecord(line);
      if (typeof logged === "string") {
        this.#skip(chunk, logged);
        continue;
      }
      if (filter !== undefined && !filter(logged.record)) {
        this.filtered++;
        continue;
      }
      if (sampler !== undefined && !sampler(logged.record)) {
        this.sampled++;
        continue;
      }
      const sound = soundRecord(logged, line);
      if (typeof sound === "string") this.#skip(chunk, sound);
      else batch.push(sound);
    }
    // Lines cut from a chunk's text hold all of it: a batch that keeps some of them keeps copies.
    if (batch.length < chunk.lines.length) {
      for (let i = 0; i < batch.length; i++) batch[i] = detachedRecord(batch[i]);
    }
    return batch;
  }

  /** Counts and logs a line of `chunk` that is not a record. */
  #skip(chunk: LogChunk, reason: string): void {
    this.skipped++;
    this.#logger.warn(
      "Follower {follower}: a line of {file} near byte {offset} is not a record ({reason}); " +
        "skipped",
      { follower: this.#follower, file: chunk.start.file, offset: chunk.start.offset, reason },
    );
  }
}

/**
 * The bytes of a batch's lines (UTF-16 units, near enough for sizing batches).
 *
 * @example
 * ```ts
 * import { batchBytes } from "./record_selection.ts";
 * import type { LoggedRecord } from "../sinks/sink.ts";
 * declare const batch: LoggedRecord[];
 * batchBytes(batch) > 0;
 * ```
 */
export function batchBytes(batch: readonly LoggedRecord[]): number {
  let bytes = 0;
  for (const { line } of batch) bytes += line.length + 1;
  return bytes;
}
