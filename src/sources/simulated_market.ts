/**
 * A deterministic simulated market: seeded random-walk quotes for several symbols.
 *
 * @module
 */

/** One quote of one symbol. */
export interface MarketTick {
  /** Symbol code, one of the session's symbols. */
  readonly symbol: string;
  /** Market name, e.g. `SIM`. */
  readonly market: string;
  /** Event time, epoch ms. */
  readonly timestampMs: number;
  /** 0-based tick index within the session. */
  readonly index: number;
  /** Last price, a whole number ≥ 1 (random walk of up to ±0.5% per tick). */
  readonly price: number;
  /** Traded volume, a whole number from 100 to 10,099. */
  readonly volume: number;
  /** Best bid: `price` minus 0.05% of it (rounded, at least 1). */
  readonly bid: number;
  /** Best ask: `price` plus 0.05% of it (rounded, at least 1). */
  readonly ask: number;
}

/** Simulated session parameters. */
export interface SimulatedMarketOptions {
  /** Symbol codes, quoted in this order every round. */
  readonly symbols: readonly string[];
  /** Ticks per symbol. */
  readonly ticks: number;
  /** PRNG seed; the same seed gives the same ticks. */
  readonly seed: number;
  /** Event time of the first tick, epoch ms. */
  readonly startMs: number;
  /** Time between ticks. Default 1000 ms. */
  readonly stepMs?: number;
  /** Market name in the context. Default `SIM`. */
  readonly market?: string;
}

/**
 * mulberry32: a small, fast, seedable PRNG giving floats in [0, 1).
 *
 * @example
 * ```ts
 * const next = seededRandom(42);
 * next(); // the same first value for every run with seed 42
 * ```
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function roundTo(value: number, step: number): number {
  return Math.round(value / step) * step;
}

/**
 * Yields `ticks` rounds of quotes, one per symbol per round, in a fixed order. The same options
 * give the same ticks.
 *
 * @example
 * ```ts
 * for (const tick of simulateMarket({ symbols: ["005930"], ticks: 3, seed: 7, startMs: 0 })) {
 *   console.log(tick.price);
 * }
 * ```
 */
export function* simulateMarket(options: SimulatedMarketOptions): Generator<MarketTick> {
  const random = seededRandom(options.seed);
  const stepMs = options.stepMs ?? 1000;
  const market = options.market ?? "SIM";
  const prices = options.symbols.map(() => 10_000 + Math.floor(random() * 90_000));
  for (let index = 0; index < options.ticks; index++) {
    for (let s = 0; s < options.symbols.length; s++) {
      const shock = (random() - 0.5) * 0.01;
      const price = Math.max(1, roundTo(prices[s] * (1 + shock), 1));
      prices[s] = price;
      const spread = Math.max(1, roundTo(price * 0.0005, 1));
      yield {
        symbol: options.symbols[s],
        market,
        timestampMs: options.startMs + index * stepMs,
        index,
        price,
        volume: 100 + Math.floor(random() * 10_000),
        bid: price - spread,
        ask: price + spread,
      };
    }
  }
}
