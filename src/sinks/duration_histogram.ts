/**
 * A fixed-bucket histogram of durations (seconds), kept by sinks for their batch writes and
 * syncs and read when the service's `/metrics` is scraped.
 *
 * @module
 */

/** Upper bounds of the buckets, in seconds (0.5 ms to 10 s). */
export const DURATION_BUCKETS: readonly number[] = [
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
];

/** What a histogram holds: counts per bucket (the last one past the largest bound), sum, count. */
export interface DurationSummary {
  /** Upper bounds of the buckets, in seconds ({@linkcode DURATION_BUCKETS}). */
  readonly bounds: readonly number[];
  /** Observations per bucket, not cumulative; one more than `bounds` (the `+Inf` bucket). */
  readonly counts: readonly number[];
  /** Sum of the observed durations, in seconds. */
  readonly sum: number;
  /** Number of observations. */
  readonly count: number;
}

/**
 * Counts durations into {@linkcode DURATION_BUCKETS}.
 *
 * @example
 * ```ts
 * import { DurationHistogram } from "./duration_histogram.ts";
 * const h = new DurationHistogram();
 * h.observe(0.003);
 * h.summary().count; // => 1
 * ```
 */
export class DurationHistogram {
  readonly #counts = new Array<number>(DURATION_BUCKETS.length + 1).fill(0);
  #sum = 0;
  #count = 0;

  /** Adds one duration, in seconds. */
  observe(seconds: number): void {
    let i = 0;
    while (i < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[i]) i++;
    this.#counts[i]++;
    this.#sum += seconds;
    this.#count++;
  }

  /** Times `action` and adds its duration (also when it throws). */
  async time<T>(action: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await action();
    } finally {
      this.observe((performance.now() - start) / 1000);
    }
  }

  /** A copy of the counts. */
  summary(): DurationSummary {
    return {
      bounds: DURATION_BUCKETS,
      counts: [...this.#counts],
      sum: this.#sum,
      count: this.#count,
    };
  }
}
