/**
 * The durability policy of a record file sink: when what was written is forced to disk (never,
 * about once per interval after a write, or after every batch), and how long those syncs took.
 *
 * @module
 */

import { DurationHistogram, type DurationSummary } from "./duration_histogram.ts";
import type { FsyncPolicy } from "./file_sink_tuning.ts";

/** Syncs a file under one {@linkcode FsyncPolicy}. */
export class FileSync {
  readonly #policy: FsyncPolicy;
  readonly #intervalMs: number;
  readonly #syncData: () => Promise<void>;
  readonly #onFailure: (error: unknown) => void;
  readonly #seconds = new DurationHistogram();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #lastSyncMs = 0;
  #dirty = false;
  #stopped = false;

  /**
   * `syncData` forces the current file to disk; `onFailure` hears of a sync that failed off the
   * write path (a timer's, or the last one at close).
   */
  constructor(
    policy: FsyncPolicy,
    intervalMs: number,
    syncData: () => Promise<void>,
    onFailure: (error: unknown) => void,
  ) {
    this.#policy = policy;
    this.#intervalMs = intervalMs;
    this.#syncData = syncData;
    this.#onFailure = onFailure;
  }

  /** After a batch was written: syncs now under `always` (throwing), arms the timer under `interval`. */
  async written(): Promise<void> {
    this.#dirty = true;
    if (this.#policy === "always") await this.#syncOrThrow();
    else if (this.#policy === "interval") this.#arm();
  }

  /** Before leaving the current file (rotation): syncs what it holds unsynced, throwing. */
  async beforeSwitch(): Promise<void> {
    if (this.#policy !== "none" && this.#dirty) await this.#syncOrThrow();
  }

  /** Stops the timer and syncs what is unsynced (unless `none`); never rejects. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#policy !== "none" && this.#dirty) await this.#sync();
  }

  /** How long the syncs took. */
  summary(): DurationSummary {
    return this.#seconds.summary();
  }

  #arm(): void {
    if (this.#timer !== undefined) return;
    const due = Math.max(0, this.#lastSyncMs + this.#intervalMs - Date.now());
    const timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#dirty && !this.#stopped) void this.#sync();
    }, due);
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  async #syncOrThrow(): Promise<void> {
    this.#dirty = false;
    this.#lastSyncMs = Date.now();
    await this.#seconds.time(this.#syncData);
  }

  async #sync(): Promise<void> {
    try {
      await this.#syncOrThrow();
    } catch (error) {
      this.#onFailure(error);
    }
  }
}
