/**
 * The QTS runtime loop main.ts runs: market feed → features → snapshot → Observer.
 *
 * @module
 */

import { setImmediate } from "node:timers";
import { buildSnapshot, type ObservationSnapshot } from "../contract/snapshot.ts";
import { type MarketTick, simulateMarket } from "../sources/simulated_market.ts";
import { RollingFeatures } from "./features.ts";

/** Snapshots between two turns of the event loop in {@linkcode runSimulatedSession}. */
const YIELD_EVERY = 256;

/** A simulated market session. */
export interface SimulatedSessionOptions {
  /** Symbol codes to simulate, e.g. `["005930", "000660"]`. */
  readonly symbols: readonly string[];
  /** Ticks per symbol. */
  readonly ticks: number;
  /** Seed of the simulated market; the same seed gives the same session. */
  readonly seed: number;
  /** Event time of the first tick, epoch ms. */
  readonly startMs: number;
  /** `meta.session_id` of every snapshot. */
  readonly sessionId: string;
  /** `meta.mode` of every snapshot, e.g. `DEV`. */
  readonly mode: string;
  /** Prices in the moving average / volatility window. Default 20. */
  readonly featureWindow?: number;
  /** Stops the session early (SIGINT/SIGTERM). */
  readonly signal?: AbortSignal;
}

/** What the runtime fed the Observer. */
export interface SessionResult {
  /** Snapshots handed to the Observer. */
  readonly snapshots: number;
  /** True when the signal stopped the session early. */
  readonly interrupted: boolean;
}

/**
 * Turns one tick and its features into a market snapshot.
 *
 * @example
 * ```ts
 * import { tickSnapshot } from "./qts_runtime.ts";
 * import { RollingFeatures } from "./features.ts";
 * import type { MarketTick } from "../sources/simulated_market.ts";
 * declare const tick: MarketTick;
 * const features = new RollingFeatures(20);
 * tickSnapshot(tick, features.push(tick.price), "s1", "DEV");
 * ```
 */
export function tickSnapshot(
  tick: MarketTick,
  features: ReturnType<RollingFeatures["push"]>,
  sessionId: string,
  mode: string,
): ObservationSnapshot {
  return buildSnapshot({
    session_id: sessionId,
    mode,
    source: "market",
    stage: "raw",
    symbol: tick.symbol,
    market: tick.market,
    timestamp_ms: tick.timestampMs,
    inputs: { price: tick.price, volume: tick.volume, bid: tick.bid, ask: tick.ask },
    computed: {
      return_1: features.return_1,
      sma: features.sma,
      volatility: features.volatility,
    },
    state: { position: 0, tick_index: tick.index, window_fill: features.window_fill },
  });
}

/** Where a session's snapshots go: the Observer, a poster to a remote service, a publisher. */
export interface SnapshotReceiver {
  /**
   * Takes one snapshot; the session waits for a returned promise (backpressure). A receiver
   * that took it at once may return nothing: the session goes on without a turn of the
   * microtask queue (a publisher's queue with room, most of the time).
   */
  onSnapshot(snapshot: ObservationSnapshot): void | Promise<unknown>;
}

/**
 * Runs a deterministic simulated session through the Observer, awaiting each snapshot so
 * backpressure from the sinks reaches the feed.
 *
 * @example
 * ```ts
 * import { runSimulatedSession } from "./qts_runtime.ts";
 * import type { Observer } from "../observer/observer.ts";
 * declare const observer: Observer;
 * await runSimulatedSession(observer, { symbols: ["005930"], ticks: 10, seed: 1,
 *   startMs: Date.now(), sessionId: "s1", mode: "DEV" });
 * ```
 */
export async function runSimulatedSession(
  observer: SnapshotReceiver,
  options: SimulatedSessionOptions,
): Promise<SessionResult> {
  let snapshots = 0;
  for (const snapshot of sessionSnapshots(options)) {
    if (options.signal?.aborted) return { snapshots, interrupted: true };
    const taking = observer.onSnapshot(snapshot);
    if (taking !== undefined) await taking;
    snapshots++;
    // A simulated feed never waits for I/O; let timers, signals and I/O (publish acks) run now
    // and then. setImmediate, not setTimeout(0): repeated zero timeouts are held back to 4 ms
    // each (HTML timer clamping), which left `main.ts --publish` idle a fifth of its time.
    if (snapshots % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  return { snapshots, interrupted: false };
}

/**
 * The snapshots of a simulated session, one per tick, made as they are taken (the session's
 * `signal` is not looked at: {@linkcode runSimulatedSession} does that).
 *
 * @example
 * ```ts
 * import { sessionSnapshots } from "./qts_runtime.ts";
 * const first = sessionSnapshots({ symbols: ["005930"], ticks: 1, seed: 1, startMs: 0,
 *   sessionId: "s1", mode: "DEV" }).next().value;
 * first?.context.symbol; // => "005930"
 * ```
 */
export function* sessionSnapshots(
  options: Omit<SimulatedSessionOptions, "signal">,
): Generator<ObservationSnapshot, void, undefined> {
  const features = new Map<string, RollingFeatures>();
  for (const tick of simulateMarket(options)) {
    let rolling = features.get(tick.symbol);
    if (rolling === undefined) {
      rolling = new RollingFeatures(options.featureWindow ?? 20);
      features.set(tick.symbol, rolling);
    }
    yield tickSnapshot(tick, rolling.push(tick.price), options.sessionId, options.mode);
  }
}
