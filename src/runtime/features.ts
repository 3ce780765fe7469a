/**
 * Rolling features the QTS runtime computes per symbol: last return, moving average and
 * rolling volatility over a fixed window.
 *
 * @module
 */

/** Computed features of one symbol after one price. */
export interface Features {
  /** Simple return against the previous price; null for the first price. */
  readonly return_1: number | null;
  /** Mean of the last `window` prices. */
  readonly sma: number;
  /** Sample standard deviation of the last `window - 1` returns; null until two returns exist. */
  readonly volatility: number | null;
  /** Prices in the window so far. */
  readonly window_fill: number;
}

/**
 * Keeps a fixed window of prices for one symbol.
 *
 * @example
 * ```ts
 * const f = new RollingFeatures(3);
 * f.push(100); f.push(101).sma; // => 100.5
 * ```
 */
export class RollingFeatures {
  readonly #window: number;
  readonly #prices: number[] = [];

  /** `window` is the number of prices the average and volatility look at (≥ 2). */
  constructor(window: number) {
    if (!Number.isInteger(window) || window < 2) {
      throw new RangeError(`window: expected an integer ≥ 2, got ${window}`);
    }
    this.#window = window;
  }

  /** Adds a price and returns the features after it. */
  push(price: number): Features {
    const prices = this.#prices;
    const previous = prices.length > 0 ? prices[prices.length - 1] : undefined;
    prices.push(price);
    if (prices.length > this.#window) prices.shift();
    let sum = 0;
    for (let i = 0; i < prices.length; i++) sum += prices[i];
    // The returns are computed where they are used (twice) rather than kept in an array made
    // per price: the same operations in the same order, so the same values.
    const returns = prices.length - 1;
    let volatility: number | null = null;
    if (returns >= 2) {
      let returnSum = 0;
      for (let i = 1; i < prices.length; i++) returnSum += prices[i] / prices[i - 1] - 1;
      const mean = returnSum / returns;
      let squares = 0;
      for (let i = 1; i < prices.length; i++) {
        squares += (prices[i] / prices[i - 1] - 1 - mean) ** 2;
      }
      volatility = Math.sqrt(squares / (returns - 1));
    }
    return {
      return_1: previous === undefined ? null : price / previous - 1,
      sma: sum / prices.length,
      volatility,
      window_fill: prices.length,
    };
  }
}
