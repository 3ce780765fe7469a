/**
 * A sink behind a filter and a sampler: records the filter does not take, or the sampler does
 * not keep, never reach it, and both are counted. Filters and sampling wrap sinks (as LogTape's
 * `withFilter` does) so no sink grows filter options of its own.
 *
 * @module
 */

import type { PatternRecord } from "../contract/pattern_record.ts";
import type { RecordPredicate } from "./record_filter.ts";
import type { RecordSampler } from "./record_sampler.ts";
import type { Sink, SinkStats } from "./sink.ts";

/** Which records reach the wrapped sink. */
export interface RecordSelection {
  /** Takes the records the sink is for. Default: all. */
  readonly filter?: RecordPredicate;
  /** Keeps some of what the filter took. Default: all. */
  readonly sampler?: RecordSampler;
  /**
   * Blocked snapshots (guard `BLOCK`) reach the sink only when true (its filter asks for them,
   * see `mentionsGuard`); otherwise they are passed over without being counted as filtered.
   */
  readonly takesBlocked?: boolean;
}

/** Counters of a selected sink: the wrapped sink's, plus what selection kept from it. */
export interface SelectedSinkStats extends SinkStats {
  /** Records the filter did not take. */
  readonly filtered: number;
  /** Records the filter took and the sampler did not keep. */
  readonly sampled: number;
}

/**
 * Wraps `sink` so only selected records reach it.
 *
 * @example
 * ```ts
 * import { withSelection } from "./selected_sink.ts";
 * import { compileFilter } from "./record_filter.ts";
 * import { compileSampler } from "./record_sampler.ts";
 * import type { Sink } from "./sink.ts";
 * declare const sink: Sink;
 * const review = withSelection(sink, {
 *   filter: compileFilter({ guard: "BLOCK" }),
 *   takesBlocked: true,
 * });
 * const dashboard = withSelection(sink, { sampler: compileSampler({ every: 10 }) });
 * ```
 */
export function withSelection<S extends Sink>(
  sink: S,
  selection: RecordSelection,
): SelectedSink<S> {
  return new SelectedSink(sink, selection);
}

/** A sink behind a filter and a sampler; made by {@linkcode withSelection}. */
export class SelectedSink<S extends Sink = Sink> implements Sink {
  /** The wrapped sink. */
  readonly inner: S;
  readonly #filter: RecordPredicate | undefined;
  readonly #sampler: RecordSampler | undefined;
  readonly #takesBlocked: boolean;
  #filtered = 0;
  #sampled = 0;

  /** Wraps `inner`; see {@linkcode withSelection}. */
  constructor(inner: S, selection: RecordSelection) {
    this.inner = inner;
    this.#filter = selection.filter;
    this.#sampler = selection.sampler;
    this.#takesBlocked = selection.takesBlocked ?? false;
  }

  /** The wrapped sink's name. */
  get name(): string {
    return this.inner.name;
  }

  /** Passes the record on when it is selected; counts it otherwise. */
  write(record: PatternRecord): void | Promise<void> {
    if (!this.#takesBlocked && record.metadata.guard.action !== "PASS") return;
    if (this.#filter !== undefined && !this.#filter(record)) {
      this.#filtered++;
      return;
    }
    if (this.#sampler !== undefined && !this.#sampler(record)) {
      this.#sampled++;
      return;
    }
    return this.inner.write(record);
  }

  /** Flushes the wrapped sink. */
  flush(): Promise<void> {
    return this.inner.flush();
  }

  /** Closes the wrapped sink. */
  close(): Promise<void> {
    return this.inner.close();
  }

  /** Unblocks the wrapped sink. */
  unblock(): void {
    this.inner.unblock?.();
  }

  /** The wrapped sink's wait for room; `true` at once for a sink without a queue. */
  waitForRoom(bytes: number, signal?: AbortSignal): Promise<boolean> {
    return this.inner.waitForRoom?.(bytes, signal) ?? Promise.resolve(true);
  }

  /** Same as {@linkcode close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** The wrapped sink's counters with what the filter and the sampler left out. */
  stats(): SelectedSinkStats {
    const inner = this.inner.stats?.() ?? { written: 0, dropped: 0, failed: 0 };
    return { ...inner, filtered: this.#filtered, sampled: this.#sampled };
  }
}
