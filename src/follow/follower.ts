/**
 * A follower: ships a log to a network destination from a durable checkpoint, as a kdb+tick
 * subscriber replays the tickerplant's log. It reads a chunk of whole lines, applies its filter
 * and sampling, hands the batch to its destination (the next one while this one is still being
 * acknowledged, as many at once as the destination takes: `DeliveryPipeline`), and only once the
 * destination acknowledged it and every batch before it moves the checkpoint past those lines
 * (written while the next batches are delivered, one write at a time). While the destination
 * fails it sends the batches again from the first unacknowledged one, with backoff, and falls
 * behind: nothing is dropped or skipped, and its memory is at most two batches whatever the
 * outage's length. After a crash the next follower of the same name resumes at the checkpoint;
 * the destination drops the records of the last batches it already had, by `run_id`.
 *
 * This class runs on the thread that calls it; `WorkerFollower` runs one in a worker.
 *
 * @module
 */

import type { RecordLock } from "../sinks/record_lock.ts";
import type { Logger } from "../log/logging.ts";
import { type Backoff, backoffDelayMs, delay } from "../io/delay.ts";
import type { RecordPredicate } from "../sinks/record_filter.ts";
import { compileSampler, type RecordSampleSpec } from "../sinks/record_sampler.ts";
import type { BatchDestination, Delivery } from "../sinks/sink.ts";
import { type Checkpoint, CHECKPOINT_VERSION } from "./checkpoint.ts";
import { CheckpointKeeper } from "./checkpoint_keeper.ts";
import type { LogLocation } from "./log_files.ts";
import {
  DEFAULT_CHUNK_BYTES,
  type LogChunk,
  type LogPosition,
  type LogReader,
} from "./log_reader.ts";
import { followerFooting, followerLogReader } from "./follower_start.ts";
import { DEFAULT_COUNT_LINES_UP_TO, measureLag } from "./follower_lag.ts";
import { batchBytes, RecordSelection } from "./record_selection.ts";
import { DeliveryPipeline, type GatheredBatch, type Span } from "./delivery_pipeline.ts";
import type {
  FollowerLag,
  FollowerState,
  FollowerStats,
  RunningFollower,
} from "./follower_types.ts";
import { errorMessage } from "../io/error_message.ts";

export {
  FollowerBusyError,
  type FollowerLag,
  type FollowerState,
  type FollowerStats,
  type FollowerSummary,
  type RunningFollower,
} from "./follower_types.ts";

/** Options of {@linkcode Follower.open}. */
export interface FollowerOptions {
  /** The follower's name (the sink's name in the configuration). */
  readonly name: string;
  /** The log it follows. */
  readonly log: LogLocation;
  /** Where batches go. The follower closes it. */
  readonly destination: BatchDestination;
  /** Takes the records the destination is for. Default: all. */
  readonly filter?: RecordPredicate;
  /** Sampling of what the filter took; its counters are kept in the checkpoint. */
  readonly sample?: RecordSampleSpec;
  /** Receives failures, recoveries and skipped lines. */
  readonly logger: Logger;
  /** Bytes of the log read per batch. Default 1 MiB. */
  readonly chunkBytes?: number;
  /** How often a follower at the end of the log looks for more without being woken. Default 200 ms. */
  readonly idleMs?: number;
  /**
   * How long a batch smaller than `chunkBytes` that met the end of the log may wait for more
   * lines, counted from when the follower began gathering it (the sink's `flush_interval_ms`).
   * Fewer, larger batches while the log grows: a round trip and a checkpoint write each. Default
   * 0: sent at once. Never waited for once the log is complete.
   */
  readonly flushIntervalMs?: number;
  /** Retry delays while failing. Default from 100 ms doubling to 5 s, with jitter. */
  readonly backoff?: Backoff;
  /** Wall clock (epoch ms). Default `Date.now`. */
  readonly now?: () => number;
  /** Told after each change of its state or counters (a worker reports them from here). */
  readonly onChange?: () => void;
}

/**
 * Follows one log to one destination.
 *
 * @example
 * ```ts
 * import { Follower } from "./follower.ts";
 * import { getObserverLogger } from "../log/logging.ts";
 * import type { BatchDestination } from "../sinks/sink.ts";
 * declare const destination: BatchDestination;
 * const dir = await Deno.makeTempDir();
 * const follower = await Follower.open({
 *   name: "db",
 *   log: { dir, base: "observer" },
 *   destination,
 *   logger: getObserverLogger("follow"),
 * });
 * const done = follower.run();
 * follower.finish(); // the log is complete: end once all of it is delivered
 * await done;
 * await follower.close();
 * ```
 */
export class Follower implements RunningFollower {
  /** Its name. */
  readonly name: string;
  readonly #options: FollowerOptions;
  readonly #destination: BatchDestination;
  readonly #lock: RecordLock;
  readonly #reader: LogReader;
  readonly #selection: RecordSelection;
  readonly #now: () => number;
  readonly #chunkBytes: number;
  readonly #stop = new AbortController();
  readonly #checkpoint: CheckpointKeeper;
  readonly #pipeline: DeliveryPipeline;
  #state: FollowerState = "catching_up";
  #lastError: string | undefined;
  #finishing = false;
  #caughtUpAt: number | undefined;
  #wake: (() => void) | undefined;
  #running: Promise<void> | undefined;
  #delivered = 0;
  #refused = 0;

  private constructor(
    options: FollowerOptions,
    lock: RecordLock,
    path: string,
    checkpoint: Checkpoint | undefined,
  ) {
    this.name = options.name;
    this.#options = options;
    this.#destination = options.destination;
    this.#lock = lock;
    this.#now = options.now ?? Date.now;
    this.#chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    this.#checkpoint = new CheckpointKeeper(
      path,
      checkpoint ?? {
        version: CHECKPOINT_VERSION,
        log: options.log.base,
        file: "",
        offset: 0,
        records: 0,
        delivered: 0,
        refused: 0,
        skipped: 0,
        updatedAt: new Date(this.#now()).toISOString(),
      },
      // The next acknowledged batch writes it again; a crash before then re-sends this one.
      (error) => this.#fail(`cannot write the checkpoint ${path}: ${errorMessage(error)}`),
    );
    const sampler = options.sample === undefined
      ? undefined
      : compileSampler(options.sample, checkpoint?.sampler);
    this.#selection = new RecordSelection(options.name, options.logger, options.filter, sampler);
    this.#reader = followerLogReader(options.name, options.log, this.#position(), options);
    this.#pipeline = new DeliveryPipeline(options.destination, {
      commit: (gathered, delivery) => this.#commit(gathered, delivery),
      fail: (error) => this.#fail(errorMessage(error)),
      recover: (attempts) => this.#recover(attempts),
      backoff: options.backoff,
    });
  }

  /**
   * Takes the follower's lock (one process per follower) and reads its checkpoint; without
   * one it starts at the oldest file of the log. Throws {@linkcode FollowerBusyError} or a
   * `CheckpointError`.
   */
  static async open(options: FollowerOptions): Promise<Follower> {
    const { lock, path, checkpoint } = await followerFooting(
      options.name,
      options.log,
      options.logger,
    );
    return new Follower(options, lock, path, checkpoint);
  }

  /** What it writes to. */
  get destination(): string {
    return this.#destination.description;
  }

  /**
   * Runs until {@linkcode finish} was called and everything in the log is delivered, or until
   * {@linkcode stop}. Never rejects: failures are retried.
   */
  run(): Promise<void> {
    this.#running ??= this.#loop();
    return this.#running;
  }

  /** Says the log has grown: a follower waiting at its end reads on at once. */
  wake(): void {
    this.#wake?.();
  }

  /** Says the log is complete: the follower ends once it has delivered all of it. */
  finish(): void {
    this.#finishing = true;
    this.wake();
  }

  /**
   * Ends the run now (a batch being retried is left for the next run; the checkpoint stays at
   * the last acknowledged batch).
   */
  async stop(): Promise<void> {
    this.#stop.abort();
    this.wake();
    await this.#running;
  }

  /** Stops, closes the destination and releases the follower's lock. */
  async close(): Promise<void> {
    await this.stop();
    await this.#checkpoint.settle();
    this.#reader.close();
    await this.#destination.close();
    this.#lock.release();
  }

  /** Counters and state. */
  stats(): FollowerStats {
    const c = this.#checkpoint.current;
    return {
      name: this.name,
      destination: this.#destination.description,
      state: this.#state,
      lastError: this.#lastError,
      delivered: this.#delivered,
      refused: this.#refused,
      skipped: this.#selection.skipped,
      filtered: this.#selection.filtered,
      sampled: this.#selection.sampled,
      deliveredTotal: c.delivered,
      position: this.#position(),
      checkpoint: this.#checkpoint.path,
    };
  }

  /** When it was last at the end of the log (epoch ms), if ever. */
  get caughtUpAt(): number | undefined {
    return this.#caughtUpAt;
  }

  /**
   * How far behind the log it is now: its size after the checkpoint, and its lines when there
   * are at most `countLinesUpTo` bytes of them to read (default 256 MiB).
   */
  lag(countLinesUpTo = DEFAULT_COUNT_LINES_UP_TO): Promise<FollowerLag> {
    return measureLag(
      this.#options.log,
      { position: this.#position(), caughtUpAt: this.#caughtUpAt, now: this.#now() },
      countLinesUpTo,
    );
  }

  #position(): LogPosition | undefined {
    const c = this.#checkpoint.current;
    return c.file === "" ? undefined : { file: c.file, offset: c.offset };
  }

  async #loop(): Promise<void> {
    const signal = this.#stop.signal;
    let attempt = 0;
    /** The next chunk, read while the destination takes the current one. */
    let prefetched: Promise<LogChunk | undefined> | undefined;
    while (!signal.aborted) {
      // Told the log is complete before this read: its end is the log's end.
      const complete = this.#finishing;
      let chunk: LogChunk | undefined;
      try {
        // A prefetched end of the log is read again: the log may have grown meanwhile.
        chunk = await prefetched ?? await this.#reader.next();
        prefetched = undefined;
        chunk ??= await this.#reader.next();
        attempt = 0;
      } catch (error) {
        prefetched = undefined;
        this.#fail(`cannot read the log: ${errorMessage(error)}`);
        await delay(backoffDelayMs(++attempt, this.#options.backoff), signal);
        continue;
      }
      if (chunk === undefined) {
        // At the end of the log: what is in flight is delivered before waiting for more.
        await this.#pipeline.drain(signal);
        if (signal.aborted) break;
        if (await this.#atEnd(complete)) return;
        continue;
      }
      if (this.#state !== "failing") this.#setState("catching_up");
      const gathered = await this.#gather(chunk, signal);
      prefetched = this.#reader.next();
      prefetched.catch(() => {}); // its error comes again when it is awaited
      // Handed over with the batch before it in flight; returns once fewer are in flight than
      // the destination takes, those acknowledged (in order) committed.
      await this.#pipeline.push(gathered, signal);
      if (signal.aborted) break;
      // Written while the next batch is delivered (after the write before it).
      await this.#checkpoint.save();
    }
    // Stopped: the batches in flight settle, and those acknowledged in order are committed.
    await this.#pipeline.drain(signal);
    await this.#checkpoint.settle();
    this.#setState("stopped");
  }

  /**
   * At the end of the log: true once finished (the log was complete when read to its end), else
   * waits there for more.
   */
  async #atEnd(complete: boolean): Promise<boolean> {
    await this.#checkpoint.settle();
    this.#caughtUpAt = this.#now();
    if (complete) {
      this.#setState("finished");
      return true;
    }
    if (this.#state !== "failing") this.#setState("following");
    await this.#idle();
    return false;
  }

  /**
   * The records of `chunk` to deliver, read on while the filter or sampling keeps few of them
   * until the batch is as large as a chunk (or the log ends): few large batches, not many small.
   */
  async #gather(chunk: LogChunk, signal: AbortSignal): Promise<GatheredBatch> {
    const skippedBefore = this.#selection.skipped;
    const sendBy = this.#now() + (this.#options.flushIntervalMs ?? 0);
    const batch = this.#selection.select(chunk);
    const span: Span = { end: chunk.end, identity: chunk.identity, lines: chunk.lines.length };
    let bytes = batchBytes(batch);
    while (bytes < this.#chunkBytes && !signal.aborted) {
      const more = await this.#reader.next().catch(() => undefined);
      if (more === undefined) {
        // At the end of what is written: wait for more until the batch is due.
        const left = sendBy - this.#now();
        if (this.#finishing || left <= 0) break;
        await this.#waitForWake(left);
        continue;
      }
      const selected = this.#selection.select(more);
      for (const item of selected) batch.push(item);
      bytes += batchBytes(selected);
      span.end = more.end;
      span.identity = more.identity;
      span.lines += more.lines.length;
    }
    return {
      batch,
      span,
      skipped: this.#selection.skipped - skippedBefore,
      // Now, not at commit: the batches after it may be selected by then.
      sampler: this.#selection.samplerState(),
    };
  }

  /**
   * Moves the checkpoint past a batch the destination acknowledged (with every batch before it).
   */
  #commit({ batch, span, skipped, sampler }: GatheredBatch, { refused }: Delivery): void {
    const delivered = batch.length - refused;
    this.#delivered += delivered;
    this.#refused += refused;
    const c = this.#checkpoint.current;
    const lastMs = batch.at(-1)?.record.snapshot?.meta?.timestamp_ms;
    this.#checkpoint.advance({
      version: CHECKPOINT_VERSION,
      log: c.log,
      file: span.end.file,
      offset: span.end.offset,
      identity: span.identity,
      records: c.records + span.lines,
      delivered: c.delivered + delivered,
      refused: c.refused + refused,
      skipped: c.skipped + skipped,
      lastEventMs: typeof lastMs === "number" ? lastMs : c.lastEventMs,
      sampler,
      updatedAt: new Date(this.#now()).toISOString(),
    });
    this.#options.onChange?.();
  }

  #setState(state: FollowerState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#options.onChange?.();
  }

  #fail(cause: string): void {
    if (this.#state !== "failing" || this.#lastError !== cause) {
      this.#options.logger.error(
        "Follower {follower} cannot deliver to {destination}: {cause}; it falls behind and " +
          "retries with backoff (nothing is dropped)",
        { follower: this.name, destination: this.#destination.description, cause },
      );
    }
    this.#lastError = cause;
    this.#state = "failing";
    this.#options.onChange?.();
  }

  #recover(attempts: number): void {
    if (this.#state !== "failing") return;
    this.#options.logger.info(
      "Follower {follower} delivers to {destination} again after {attempts} failed attempt(s)",
      { follower: this.name, destination: this.#destination.description, attempts },
    );
    this.#lastError = undefined;
    this.#setState("catching_up");
  }

  /** Waits for a wake, the idle interval, or a stop. */
  async #idle(): Promise<void> {
    if (!this.#finishing) await this.#waitForWake(this.#options.idleMs ?? 200);
  }

  /** Waits `ms`, or less when woken (the log grew or is complete) or stopped. */
  async #waitForWake(ms: number): Promise<void> {
    const woken = new AbortController();
    this.#wake = () => woken.abort();
    await delay(ms, AbortSignal.any([woken.signal, this.#stop.signal]));
    this.#wake = undefined;
  }
}
