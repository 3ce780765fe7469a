/**
 * A follower: ships a log to a network destination from a durable checkpoint, as a kdb+tick
 * subscriber replays the tickerplant's log. It reads a chunk of whole lines, applies its filter
 * and sampling, hands the batch to its destination, and only once the destination acknowledged
 * it writes the checkpoint past those lines. While the destination fails it retries the same
 * batch with backoff and falls behind: nothing is dropped, and its memory is one batch whatever
 * the outage's length. After a crash the next follower of the same name resumes at the
 * checkpoint; the destination drops the records of the last batch it already had, by `run_id`.
 *
 * @module
 */

import { acquireRecordLock, RecordFileBusyError, type RecordLock } from "../sinks/record_lock.ts";
import { join } from "node:path";
import type { Logger } from "../log/logging.ts";
import { isBlankLine } from "../io/line_reader.ts";
import { logRecord } from "./logged_record.ts";
import { type Backoff, backoffDelayMs, delay } from "../io/delay.ts";
import type { RecordPredicate } from "../sinks/record_filter.ts";
import { compileSampler, type RecordSampleSpec } from "../sinks/record_sampler.ts";
import type { BatchDestination, LoggedRecord } from "../sinks/sink.ts";
import {
  type Checkpoint,
  CHECKPOINT_VERSION,
  checkpointPath,
  followerFileBase,
  readCheckpoint,
  writeCheckpoint,
} from "./checkpoint.ts";
import type { LogLocation } from "./log_files.ts";
import {
  DEFAULT_CHUNK_BYTES,
  fileIdentity,
  type LogChunk,
  type LogPosition,
  LogReader,
} from "./log_reader.ts";

/** What a follower is doing. */
export type FollowerState =
  /** Reading a backlog and delivering it. */
  | "catching_up"
  /** At the end of the log, waiting for more. */
  | "following"
  /** The destination (or the log) failed; the same batch is retried with backoff. */
  | "failing"
  /** The log was declared complete and everything in it was delivered. */
  | "finished"
  /** Stopped before the end (the checkpoint holds where it was). */
  | "stopped";

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
  /** Retry delays while failing. Default from 100 ms doubling to 5 s, with jitter. */
  readonly backoff?: Backoff;
  /** Wall clock (epoch ms). Default `Date.now`. */
  readonly now?: () => number;
}

/** How far behind the log a follower is. */
export interface FollowerLag {
  /** Bytes of the log not yet read past. */
  readonly bytes: number;
  /** Lines of the log not yet read past (undefined when too many to count quickly). */
  readonly records?: number;
  /** Event time of the log's newest record minus that of the last record delivered, in s. */
  readonly eventSeconds?: number;
  /** Seconds since the follower was last at the end of the log (0 when it is there now). */
  readonly wallSeconds: number;
}

/** A follower's counters, for the summary, the status route and the metrics. */
export interface FollowerStats {
  /** Its name. */
  readonly name: string;
  /** What it delivers to. */
  readonly destination: string;
  /** What it is doing. */
  readonly state: FollowerState;
  /** The last failure (kept until the next success). */
  readonly lastError?: string;
  /** Records delivered in this process. */
  readonly delivered: number;
  /** Records the destination refused for their content, in this process. */
  readonly refused: number;
  /** Log lines that were not records, in this process. */
  readonly skipped: number;
  /** Records the filter did not take, in this process. */
  readonly filtered: number;
  /** Records the filter took and the sampling did not keep, in this process. */
  readonly sampled: number;
  /** Records delivered over the follower's life (from its checkpoint). */
  readonly deliveredTotal: number;
  /** Where it stands (the checkpoint's position). */
  readonly position?: LogPosition;
  /** Its checkpoint file. */
  readonly checkpoint: string;
}

/** A follower's state at the end of a run, for the summary. */
export interface FollowerSummary extends FollowerStats {
  /** How far behind the log it stopped. */
  readonly lag: FollowerLag;
  /** The log it follows (its base name). */
  readonly log: string;
}

/** Thrown when a follower of the same log and name runs in another process. */
export class FollowerBusyError extends Error {
  /** Says who has it. */
  constructor(name: string, log: string, ownerPid: number | undefined) {
    super(
      `follower ${name} of the log ${log} is running in another process` +
        (ownerPid === undefined ? "" : ` (pid ${ownerPid})`) +
        ": one process per follower; stop it, or let it finish",
    );
    this.name = "FollowerBusyError";
  }
}

/**
 * The checkpoint, or a copy of it at the start of its file when that file was replaced since
 * (another inode, or shorter than the offset: deleted and recorded again under the same name).
 */
async function stillValid(
  checkpoint: Checkpoint | undefined,
  options: FollowerOptions,
): Promise<Checkpoint | undefined> {
  if (checkpoint === undefined) return undefined;
  let file: Deno.FsFile;
  try {
    file = await Deno.open(join(options.log.dir, checkpoint.file), { read: true });
  } catch {
    return checkpoint; // gone: the reader goes on with the next file and says so
  }
  let identity: string | undefined;
  let size: number;
  try {
    identity = await fileIdentity(file);
    size = (await file.stat()).size;
  } finally {
    file.close();
  }
  const replaced = (checkpoint.identity !== undefined && identity !== checkpoint.identity) ||
    size < checkpoint.offset;
  if (!replaced) return checkpoint;
  options.logger.warn(
    "Follower {follower}: {file} was replaced since its checkpoint (byte {offset}); delivering " +
      "it from its start, sampling afresh (records the destination has are dropped by run_id)",
    { follower: options.name, file: checkpoint.file, offset: checkpoint.offset },
  );
  return { ...checkpoint, offset: 0, identity, sampler: undefined };
}

/** The bytes of a batch's lines. */
function batchBytes(batch: readonly LoggedRecord[]): number {
  let bytes = 0;
  for (const { line } of batch) bytes += line.length + 1;
  return bytes;
}

const describe = (error: unknown) => error instanceof Error ? error.message : String(error);

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
export class Follower {
  /** Its name. */
  readonly name: string;
  readonly #options: FollowerOptions;
  readonly #destination: BatchDestination;
  readonly #lock: RecordLock;
  readonly #checkpointPath: string;
  readonly #reader: LogReader;
  readonly #sampler: ReturnType<typeof compileSampler> | undefined;
  readonly #now: () => number;
  readonly #chunkBytes: number;
  readonly #stop = new AbortController();
  #checkpoint: Checkpoint;
  #state: FollowerState = "catching_up";
  #lastError: string | undefined;
  #finishing = false;
  #caughtUpAt: number | undefined;
  #wake: (() => void) | undefined;
  #running: Promise<void> | undefined;
  #delivered = 0;
  #refused = 0;
  #skipped = 0;
  #filtered = 0;
  #sampled = 0;

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
    this.#checkpointPath = path;
    this.#now = options.now ?? Date.now;
    this.#chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    this.#checkpoint = checkpoint ?? {
      version: CHECKPOINT_VERSION,
      log: options.log.base,
      file: "",
      offset: 0,
      records: 0,
      delivered: 0,
      refused: 0,
      skipped: 0,
      updatedAt: new Date(this.#now()).toISOString(),
    };
    this.#sampler = options.sample === undefined
      ? undefined
      : compileSampler(options.sample, checkpoint?.sampler);
    const from = checkpoint === undefined
      ? undefined
      : { file: checkpoint.file, offset: checkpoint.offset };
    this.#reader = new LogReader(options.log, from, {
      chunkBytes: options.chunkBytes,
      onMissingFile: (missing, next) =>
        options.logger.warn(
          "Follower {follower}: the log file {missing} is gone (deleted by hand?); going on " +
            "with {next}: records only in it are not delivered",
          { follower: this.name, missing, next: next ?? "the oldest file" },
        ),
      onTornTail: (file, bytes) =>
        options.logger.warn(
          "Follower {follower}: {file} ends in {bytes} bytes that are not a whole line " +
            "(left by a crash); skipped",
          { follower: this.name, file, bytes },
        ),
    });
  }

  /**
   * Takes the follower's lock (one process per follower) and reads its checkpoint; without
   * one it starts at the oldest file of the log. Throws {@linkcode FollowerBusyError} or a
   * `CheckpointError`.
   */
  static async open(options: FollowerOptions): Promise<Follower> {
    const { dir, base } = options.log;
    const path = checkpointPath(dir, base, options.name);
    let lock: RecordLock;
    try {
      lock = await acquireRecordLock(dir, followerFileBase(base, options.name), path);
    } catch (error) {
      if (error instanceof RecordFileBusyError) {
        throw new FollowerBusyError(options.name, base, error.ownerPid);
      }
      throw error;
    }
    try {
      const checkpoint = await readCheckpoint(path, base);
      return new Follower(options, lock, path, await stillValid(checkpoint, options));
    } catch (error) {
      lock.release();
      throw error;
    }
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
    this.#reader.close();
    await this.#destination.close();
    this.#lock.release();
  }

  /** Counters and state. */
  stats(): FollowerStats {
    const c = this.#checkpoint;
    return {
      name: this.name,
      destination: this.#destination.description,
      state: this.#state,
      lastError: this.#lastError,
      delivered: this.#delivered,
      refused: this.#refused,
      skipped: this.#skipped,
      filtered: this.#filtered,
      sampled: this.#sampled,
      deliveredTotal: c.delivered,
      position: c.file === "" ? undefined : { file: c.file, offset: c.offset },
      checkpoint: this.#checkpointPath,
    };
  }

  /**
   * How far behind the log it is now: its size after the checkpoint, and its lines when there
   * are at most `countLinesUpTo` bytes of them to read (default 256 MiB).
   */
  async lag(countLinesUpTo = 256 * 1024 * 1024): Promise<FollowerLag> {
    const measure = new LogReader(
      this.#options.log,
      this.#checkpoint.file === ""
        ? undefined
        : { file: this.#checkpoint.file, offset: this.#checkpoint.offset },
    );
    const bytes = await measure.bytesBehind();
    const records = bytes === 0 ? 0 : await measure.linesBehind(countLinesUpTo, bytes);
    const caughtUp = bytes === 0;
    const since = this.#caughtUpAt;
    return {
      bytes,
      records,
      wallSeconds: caughtUp || since === undefined ? 0 : (this.#now() - since) / 1000,
      eventSeconds: caughtUp ? 0 : undefined,
    };
  }

  async #loop(): Promise<void> {
    const signal = this.#stop.signal;
    let attempt = 0;
    /** The next chunk, read while the destination takes the current one. */
    let prefetched: Promise<LogChunk | undefined> | undefined;
    while (!signal.aborted) {
      let chunk: LogChunk | undefined;
      try {
        // A prefetched end of the log is read again: the log may have grown meanwhile.
        chunk = await prefetched ?? await this.#reader.next();
        prefetched = undefined;
        chunk ??= await this.#reader.next();
      } catch (error) {
        prefetched = undefined;
        this.#fail(`cannot read the log: ${describe(error)}`);
        await delay(backoffDelayMs(++attempt, this.#options.backoff), signal);
        continue;
      }
      if (chunk === undefined) {
        this.#caughtUpAt = this.#now();
        if (this.#finishing) {
          this.#state = "finished";
          return;
        }
        if (this.#state !== "failing") this.#state = "following";
        await this.#idle();
        continue;
      }
      if (this.#state !== "failing") this.#state = "catching_up";
      const skippedBefore = this.#skipped;
      const batch = this.#select(chunk);
      // A filter or sampling that keeps few records: read on until the batch is as large as a
      // chunk (or the log ends), so the destination gets few large batches, not many small ones.
      const span = { end: chunk.end, identity: chunk.identity, lines: chunk.lines.length };
      let bytes = batchBytes(batch);
      while (bytes < this.#chunkBytes && !signal.aborted) {
        const more = await this.#reader.next().catch(() => undefined);
        if (more === undefined) break;
        const selected = this.#select(more);
        batch.push(...selected);
        bytes += batchBytes(selected);
        span.end = more.end;
        span.identity = more.identity;
        span.lines += more.lines.length;
      }
      const skipped = this.#skipped - skippedBefore;
      prefetched = this.#reader.next();
      prefetched.catch(() => {}); // its error comes again when it is awaited
      while (batch.length > 0 && !signal.aborted) {
        try {
          const { refused } = await this.#destination.deliver(batch);
          this.#recover(attempt);
          attempt = 0;
          this.#delivered += batch.length - refused;
          this.#refused += refused;
          this.#commit(span, { delivered: batch.length - refused, refused, skipped }, batch.at(-1));
          break;
        } catch (error) {
          this.#fail(describe(error));
          await delay(backoffDelayMs(++attempt, this.#options.backoff), signal);
        }
      }
      if (signal.aborted) break;
      if (batch.length === 0) this.#commit(span, { delivered: 0, refused: 0, skipped }, undefined);
      try {
        await writeCheckpoint(this.#checkpointPath, this.#checkpoint);
      } catch (error) {
        // The next acknowledged batch writes it again; a crash before then re-sends this one.
        this.#fail(`cannot write the checkpoint ${this.#checkpointPath}: ${describe(error)}`);
      }
    }
    this.#state = "stopped";
  }

  /** The records of a chunk this follower delivers (counting what it leaves out). */
  #select(chunk: LogChunk): LoggedRecord[] {
    const batch: LoggedRecord[] = [];
    for (const line of chunk.lines) {
      if (isBlankLine(line)) continue;
      const record = logRecord(line);
      if (typeof record === "string") {
        this.#skipped++;
        this.#options.logger.warn(
          "Follower {follower}: a line of {file} near byte {offset} is not a record ({reason}); " +
            "skipped",
          {
            follower: this.name,
            file: chunk.start.file,
            offset: chunk.start.offset,
            reason: record,
          },
        );
        continue;
      }
      if (this.#options.filter !== undefined && !this.#options.filter(record)) {
        this.#filtered++;
        continue;
      }
      if (this.#sampler !== undefined && !this.#sampler(record)) {
        this.#sampled++;
        continue;
      }
      batch.push({ record, line: line.text });
    }
    return batch;
  }

  /** Moves the checkpoint past a chunk whose selected records the destination has. */
  #commit(
    span: { readonly end: LogPosition; readonly identity?: string; readonly lines: number },
    { delivered, refused, skipped }: { delivered: number; refused: number; skipped: number },
    last: LoggedRecord | undefined,
  ): void {
    const c = this.#checkpoint;
    const lastMs = last?.record.snapshot?.meta?.timestamp_ms;
    this.#checkpoint = {
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
      sampler: this.#sampler?.state(),
      updatedAt: new Date(this.#now()).toISOString(),
    };
  }

  #fail(cause: string): void {
    if (this.#state !== "failing" || this.#lastError !== cause) {
      this.#options.logger.error(
        "Follower {follower} cannot deliver to {destination}: {cause}; it falls behind and " +
          "retries with backoff (nothing is dropped)",
        { follower: this.name, destination: this.#destination.description, cause },
      );
    }
    this.#state = "failing";
    this.#lastError = cause;
  }

  #recover(attempts: number): void {
    if (this.#state !== "failing") return;
    this.#options.logger.info(
      "Follower {follower} delivers to {destination} again after {attempts} failed attempt(s)",
      { follower: this.name, destination: this.#destination.description, attempts },
    );
    this.#state = "catching_up";
    this.#lastError = undefined;
  }

  /** Waits for a wake, the idle interval, or a stop. */
  async #idle(): Promise<void> {
    const woken = new AbortController();
    this.#wake = () => woken.abort();
    const either = AbortSignal.any([woken.signal, this.#stop.signal]);
    if (!this.#finishing) await delay(this.#options.idleMs ?? 200, either);
    this.#wake = undefined;
  }
}
