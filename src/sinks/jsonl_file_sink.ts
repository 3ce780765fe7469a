/**
 * JsonlFileSink: the append-only record file, one record per line, written in large batches
 * through one open handle, with a bounded queue, a durability policy, crash recovery and
 * optional rotation.
 *
 * @module
 */

import { join } from "node:path";
import type { Sink, SinkStats } from "./sink.ts";
import type { PatternRecord } from "../contract/pattern_record.ts";
import { utf8Length } from "../io/utf8.ts";
import type { Logger } from "../log/logging.ts";
import { checkRecordFileName, DEFAULT_RECORD_FILE, observerDataDir } from "../paths.ts";
import { repairTornTail } from "./crash_recovery.ts";
import { acquireRecordLock, type RecordLock } from "./record_lock.ts";
import { openForAppend } from "./safe_file.ts";
import {
  applyRetention,
  formatWindowStamp,
  listRotatedFiles,
  rotatedFileName,
  type RotationPolicy,
  windowStart,
} from "./rotation.ts";

/** What a full queue does with the next record. */
export const WHEN_FULL_POLICIES = ["block", "drop_newest", "drop_oldest"] as const;

/** One of {@linkcode WHEN_FULL_POLICIES}. */
export type WhenFull = typeof WHEN_FULL_POLICIES[number];

/** When written bytes are forced to disk: never, about once per interval, or after every batch. */
export const FSYNC_POLICIES = ["none", "interval", "always"] as const;

/** One of {@linkcode FSYNC_POLICIES}. */
export type FsyncPolicy = typeof FSYNC_POLICIES[number];

/** Tunables of a {@linkcode JsonlFileSink}; every one has a documented default. */
export interface JsonlFileSinkTuning {
  /** Write as soon as this many characters are queued. Default 1 MiB. */
  readonly flushBytes?: number;
  /** Write whatever is queued at most this long after it arrived. Default 10 ms. */
  readonly flushIntervalMs?: number;
  /** Bound of the queue (queued plus in-flight), in characters of JSON. Default 4 MiB. */
  readonly maxQueueBytes?: number;
  /** Policy when the queue is full. Default `block`. */
  readonly whenFull?: WhenFull;
  /** Durability policy. Default `interval`. */
  readonly fsync?: FsyncPolicy;
  /** Interval of the `interval` fsync policy. Default 1000 ms. */
  readonly fsyncIntervalMs?: number;
  /** Rotation and retention; off when absent. */
  readonly rotation?: RotationPolicy;
}

/** Options of {@linkcode JsonlFileSink.open}. */
export interface JsonlFileSinkOptions extends JsonlFileSinkTuning {
  /** Project root; the file goes to `<root>/data/observer/<fileName>`. */
  readonly root: string;
  /** Bare file name ending in `.jsonl`. Default `observer.jsonl`. */
  readonly fileName?: string;
  /** Name in logs and summaries. Default `jsonl:<fileName>`. */
  readonly name?: string;
  /** Receives the sink's open, close, failure, recovery and rotation messages. */
  readonly logger: Logger;
  /** Clock for rotation windows and stamps (epoch ms). Default `Date.now`. */
  readonly now?: () => number;
  /**
   * The lock of this file's base, when the caller holds it (several sinks of one base). Without
   * it the sink takes `<base>.lock` itself on open and releases it on close.
   */
  readonly lock?: RecordLock;
  /**
   * Opens a file of this sink for reading and appending. Default `openForAppend`, which refuses
   * links and anything but a regular file; fault tests hand in a device such as `/dev/full`.
   */
  readonly openFile?: (path: string) => Promise<Deno.FsFile>;
  /**
   * Called after each batch is handed to the OS, with its number of records (they are the
   * oldest records not yet reported: batches are written in order). For latency metrics.
   */
  readonly onBatchWritten?: (records: number) => void;
}

/** The defaults of {@linkcode JsonlFileSinkTuning}. */
export const SINK_DEFAULTS = {
  flushBytes: 1024 * 1024,
  flushIntervalMs: 10,
  maxQueueBytes: 4 * 1024 * 1024,
  whenFull: "block",
  fsync: "interval",
  fsyncIntervalMs: 1000,
} as const satisfies Required<Omit<JsonlFileSinkTuning, "rotation">>;

/** Counters of a {@linkcode JsonlFileSink}. */
export interface JsonlFileSinkStats extends SinkStats {
  /** The file currently written. */
  readonly path: string;
  /** Records accepted but not yet written. */
  readonly queued: number;
}

/** Queue entry that switches to the file of a new time window. */
class WindowMarker {
  constructor(readonly windowStartMs: number) {}
}

type QueueEntry = string | WindowMarker;

interface InFlight {
  readonly bytes: Uint8Array;
  offset: number;
  readonly records: number;
  /** File size before this batch: where to cut if the batch is abandoned half-written. */
  readonly startSize: number;
}

const encoder = new TextEncoder();

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: string }).code;
    return code !== undefined && !error.message.includes(code)
      ? `${code}: ${error.message}`
      : `${error.name}: ${error.message}`;
  }
  return String(error);
}

function positive(value: number | undefined, fallback: number, what: string): number {
  const chosen = value ?? fallback;
  if (!Number.isFinite(chosen) || chosen <= 0) {
    throw new RangeError(`${what}: expected a positive number, got ${value}`);
  }
  return chosen;
}

/**
 * Appends records to `<root>/data/observer/<file>`, one JSON line each.
 *
 * Records are serialized on `write()` and queued; the queue is written in one chunk when it
 * passes `flushBytes` or `flushIntervalMs` after the first queued record. The queue is bounded
 * (`maxQueueBytes`); when full, `whenFull` decides: `block` makes `write()` return a promise that
 * resolves once there is room (the EventBus passes it on to the producer), `drop_newest` and
 * `drop_oldest` drop and count. A failing file (ENOSPC, EIO, ...) puts the sink in a failed
 * state: one error per episode, the queued records are kept and retried at the next flush, and
 * records that do not fit meanwhile are counted as failed, never blocking the producer.
 *
 * @example
 * ```ts
 * import { JsonlFileSink } from "./jsonl_file_sink.ts";
 * import type { PatternRecord } from "../contract/pattern_record.ts";
 * import type { Logger } from "../log/logging.ts";
 * declare const root: string;
 * declare const logger: Logger;
 * declare const record: PatternRecord;
 * await using sink = await JsonlFileSink.open({ root, logger });
 * await sink.write(record);
 * ```
 */
export class JsonlFileSink<T = PatternRecord> implements Sink<T> {
  /** Name in logs and summaries. */
  readonly name: string;
  readonly #dir: string;
  readonly #base: string;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #flushBytes: number;
  readonly #flushIntervalMs: number;
  readonly #maxQueueBytes: number;
  readonly #whenFull: WhenFull;
  readonly #fsync: FsyncPolicy;
  readonly #fsyncIntervalMs: number;
  readonly #rotation: RotationPolicy | undefined;
  readonly #onBatchWritten: ((records: number) => void) | undefined;

  #fileName: string;
  #file!: Deno.FsFile;
  readonly #openFileAt: (path: string) => Promise<Deno.FsFile>;
  /** The lock this sink took itself (released on close); undefined when the caller holds it. */
  #ownLock: RecordLock | undefined;
  #fileBytes = 0;
  #queue: QueueEntry[] = [];
  #queueChars = 0;
  #queueRecords = 0;
  /** Index of the oldest entry still queued (entries before it are taken). */
  #queueHead = 0;
  #buffer: Uint8Array | undefined;
  #queueWindow = 0;
  /** Window start (or minute) the current rotated file is named after. */
  #fileStamp = 0;
  #inflight: InFlight | undefined;
  #drain: Promise<void> | undefined;
  #flushTimer: ReturnType<typeof setTimeout> | undefined;
  #syncTimer: ReturnType<typeof setTimeout> | undefined;
  #lastSyncMs = 0;
  #dirty = false;
  #room: { promise: Promise<void>; resolve: () => void } | undefined;
  #accepted = 0;
  /** Accepted records that were since written, dropped from the queue or given up on. */
  #settled = 0;
  #written = 0;
  #dropped = 0;
  #failed = 0;
  #failure: string | undefined;
  #lastFailure: string | undefined;
  #failedInEpisode = 0;
  #closed = false;

  private constructor(options: JsonlFileSinkOptions, fileName: string) {
    this.#dir = observerDataDir(options.root);
    this.#base = fileName.slice(0, -".jsonl".length);
    this.#fileName = fileName;
    this.name = options.name ?? `jsonl:${fileName}`;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.#flushBytes = positive(options.flushBytes, SINK_DEFAULTS.flushBytes, "flushBytes");
    this.#flushIntervalMs = positive(
      options.flushIntervalMs,
      SINK_DEFAULTS.flushIntervalMs,
      "flushIntervalMs",
    );
    this.#maxQueueBytes = positive(
      options.maxQueueBytes,
      SINK_DEFAULTS.maxQueueBytes,
      "maxQueueBytes",
    );
    this.#whenFull = options.whenFull ?? SINK_DEFAULTS.whenFull;
    this.#fsync = options.fsync ?? SINK_DEFAULTS.fsync;
    this.#fsyncIntervalMs = positive(
      options.fsyncIntervalMs,
      SINK_DEFAULTS.fsyncIntervalMs,
      "fsyncIntervalMs",
    );
    const rotation = options.rotation;
    if (rotation !== undefined) {
      if (rotation.everyMinutes !== undefined) positive(rotation.everyMinutes, 1, "everyMinutes");
      if (rotation.maxBytes !== undefined) positive(rotation.maxBytes, 1, "maxBytes");
      if (rotation.keep !== undefined) positive(rotation.keep, 1, "keep");
      if (rotation.everyMinutes === undefined && rotation.maxBytes === undefined) {
        throw new RangeError("rotation: expected everyMinutes and/or maxBytes, got neither");
      }
    }
    this.#rotation = rotation;
    this.#onBatchWritten = options.onBatchWritten;
    this.#openFileAt = options.openFile ?? openForAppend;
  }

  /**
   * Validates the file name (before touching the disk), creates `data/observer`, takes the
   * base's lock (one writer per record file; a second one gets `RecordFileBusyError`), repairs
   * a torn last line left by a crash, and opens the file for appending. A file that is a
   * symbolic link or has other hard links is refused (`UnsafeFileError`).
   */
  static async open<T = PatternRecord>(options: JsonlFileSinkOptions): Promise<JsonlFileSink<T>> {
    const fileName = checkRecordFileName(options.fileName ?? DEFAULT_RECORD_FILE);
    const sink = new JsonlFileSink<T>(options, fileName);
    await Deno.mkdir(sink.#dir, { recursive: true });
    if (options.lock === undefined) {
      sink.#ownLock = await acquireRecordLock(sink.#dir, sink.#base, sink.path);
    }
    try {
      if (sink.#rotation !== undefined) {
        const now = sink.#now();
        sink.#queueWindow = sink.#currentWindow(now);
        sink.#fileStamp = sink.#stampFor(now);
        sink.#fileName = await sink.#rotatedName(sink.#fileStamp, false);
      }
      await sink.#openFile();
    } catch (error) {
      sink.#ownLock?.release();
      throw error;
    }
    sink.#logger.info("JsonlFileSink initialized: {path}", {
      path: sink.path,
      fsync: sink.#fsync,
      whenFull: sink.#whenFull,
    });
    return sink;
  }

  /** The file currently written. */
  get path(): string {
    return join(this.#dir, this.#fileName);
  }

  /** Counters for the run summary. */
  stats(): JsonlFileSinkStats {
    return {
      path: this.path,
      written: this.#written,
      dropped: this.#dropped,
      failed: this.#failed,
      queued: this.#queueRecords + (this.#inflight?.records ?? 0),
      failure: this.#failure ?? this.#lastFailure,
    };
  }

  /**
   * Serializes and queues one record. Returns a promise only when the queue is full under the
   * `block` policy; it resolves when there is room again.
   */
  write(record: T): void | Promise<void> {
    if (this.#closed) {
      throw new Error(`${this.name} is closed: expected write() before close()`);
    }
    const line = JSON.stringify(record);
    if (this.#rotation?.everyMinutes !== undefined) {
      const window = this.#currentWindow(this.#now());
      if (window !== this.#queueWindow) {
        this.#queueWindow = window;
        this.#queue.push(new WindowMarker(window));
      }
    }
    let wait: Promise<void> | undefined;
    if (this.#pendingChars() + line.length + 1 > this.#maxQueueBytes && this.#queueRecords > 0) {
      if (this.#failure !== undefined) {
        this.#failed++;
        this.#failedInEpisode++;
        return;
      }
      if (this.#whenFull === "drop_newest") {
        this.#dropped++;
        return;
      }
      if (this.#whenFull === "drop_oldest") this.#dropOldest(line.length + 1);
      else wait = this.#waitForRoom();
    }
    this.#queue.push(line);
    this.#queueChars += line.length + 1;
    this.#queueRecords++;
    this.#accepted++;
    if (this.#queueChars >= this.#flushBytes) this.#startDrain(false);
    else this.#armFlushTimer();
    return wait;
  }

  /**
   * Writes everything accepted so far; resolves once those bytes are handed to the OS (and
   * synced under `fsync: always`). Rejects when the file is failing.
   */
  async flush(): Promise<void> {
    const target = this.#accepted;
    while (this.#settled < target) {
      if (this.#drain !== undefined) {
        await this.#drain;
        continue;
      }
      if (this.#queueRecords === 0 && this.#inflight === undefined) break;
      const wasFailing = this.#failure !== undefined;
      await this.#startDrain(true);
      if (this.#failure !== undefined && wasFailing) {
        throw new Error(`${this.name}: cannot write ${this.path}: ${this.#failure}`);
      }
    }
    if (this.#failure !== undefined) {
      throw new Error(`${this.name}: cannot write ${this.path}: ${this.#failure}`);
    }
  }

  /**
   * Stops accepting records, writes what is queued, syncs (unless `fsync: none`) and closes the
   * file. What could not be written is counted as failed; a half-written last batch is cut off
   * so the file still ends on a complete line. Never rejects; see {@linkcode stats}.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    try {
      await this.flush();
    } catch {
      // One more attempt happened inside flush(); give up below.
    }
    clearTimeout(this.#syncTimer);
    this.#syncTimer = undefined;
    if (this.#failure !== undefined) this.#abandonUnwritten();
    if (this.#fsync !== "none" && this.#dirty) await this.#sync();
    this.#file.close();
    this.#ownLock?.release();
    this.#logger.info("JsonlFileSink closed: {path}", {
      path: this.path,
      written: this.#written,
      dropped: this.#dropped,
      failed: this.#failed,
    });
  }

  /** Same as {@linkcode close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #pendingChars(): number {
    return this.#queueChars + (this.#inflight?.bytes.length ?? 0);
  }

  #dropOldest(room: number): void {
    let marker: WindowMarker | undefined;
    while (this.#queueRecords > 0 && this.#pendingChars() + room > this.#maxQueueBytes) {
      const entry = this.#queue[this.#queueHead];
      this.#advanceQueue(this.#queueHead + 1);
      if (entry instanceof WindowMarker) {
        marker = entry;
        continue;
      }
      this.#queueChars -= entry.length + 1;
      this.#queueRecords--;
      this.#dropped++;
      this.#settled++;
    }
    if (marker !== undefined && !(this.#queue[this.#queueHead] instanceof WindowMarker)) {
      if (this.#queueHead > 0) this.#queue[--this.#queueHead] = marker;
      else this.#queue.unshift(marker);
    }
  }

  #waitForRoom(): Promise<void> {
    if (this.#failure !== undefined) return Promise.resolve();
    if (this.#room === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => resolve = r);
      this.#room = { promise, resolve };
    }
    this.#startDrain(true);
    return this.#room.promise;
  }

  #releaseRoom(): void {
    if (this.#room === undefined) return;
    if (this.#failure === undefined && this.#pendingChars() >= this.#maxQueueBytes) return;
    this.#room.resolve();
    this.#room = undefined;
  }

  #armFlushTimer(): void {
    if (this.#flushTimer !== undefined) return;
    const timer = setTimeout(() => {
      this.#flushTimer = undefined;
      if (this.#drain === undefined) this.#startDrain(true);
    }, this.#flushIntervalMs);
    Deno.unrefTimer(timer);
    this.#flushTimer = timer;
  }

  #startDrain(force: boolean): Promise<void> {
    if (this.#drain !== undefined) return this.#drain;
    if (this.#failure !== undefined && !force) return Promise.resolve();
    this.#drain = this.#runDrain(force).finally(() => {
      this.#drain = undefined;
      if (this.#failure !== undefined && !this.#closed) this.#armFlushTimer();
    });
    return this.#drain;
  }

  async #runDrain(force: boolean): Promise<void> {
    while (true) {
      if (this.#inflight === undefined) {
        if (this.#queueHead === this.#queue.length) return;
        if (!force && this.#queueChars < this.#flushBytes) return;
        const head = this.#queue[this.#queueHead];
        if (head instanceof WindowMarker) {
          this.#advanceQueue(this.#queueHead + 1);
          if (!(await this.#guarded(() => this.#rotate(head.windowStartMs, false)))) return;
          continue;
        }
        if (!(await this.#guarded(() => this.#takeBatch()))) return;
      }
      const inflight = this.#inflight!;
      if (!(await this.#guarded(() => this.#writeInFlight(inflight)))) return;
      this.#inflight = undefined;
      this.#written += inflight.records;
      this.#settled += inflight.records;
      this.#onBatchWritten?.(inflight.records);
      this.#dirty = true;
      if (this.#failure !== undefined) this.#recovered();
      this.#releaseRoom();
      if (this.#fsync === "always") await this.#sync();
      else if (this.#fsync === "interval") this.#armSyncTimer();
    }
  }

  /** Runs a step of the drain; on error enters the failed state and returns false. */
  async #guarded(step: () => Promise<void>): Promise<boolean> {
    try {
      await step();
      return true;
    } catch (error) {
      this.#enterFailure(error);
      return false;
    }
  }

  /**
   * Moves queued lines into the in-flight batch: up to the next window marker and about
   * `flushBytes` characters, so batches stay the same size and reuse one encoding buffer. With a
   * size limit, rotates first when the next line does not fit, and takes only the lines that
   * fit (at least one), so a file passes the limit only when a single line is larger than it.
   */
  async #takeBatch(): Promise<void> {
    const queue = this.#queue;
    const maxBytes = this.#rotation?.maxBytes;
    if (maxBytes !== undefined) {
      const first = utf8Length(queue[this.#queueHead] as string) + 1;
      if (this.#fileBytes > 0 && this.#fileBytes + first > maxBytes) {
        const stampMs = this.#rotation?.everyMinutes !== undefined
          ? this.#fileStamp
          : this.#stampFor(this.#now());
        await this.#rotate(stampMs, true);
      }
    }
    const start = this.#queueHead;
    let end = start;
    let chars = 0;
    let bytes = 0;
    while (end < queue.length && chars < this.#flushBytes) {
      const entry = queue[end];
      if (entry instanceof WindowMarker) break;
      if (maxBytes !== undefined) {
        const n = utf8Length(entry) + 1;
        if (end > start && this.#fileBytes + bytes + n > maxBytes) break;
        bytes += n;
      }
      chars += entry.length + 1;
      end++;
    }
    const text = end - start === 1
      ? queue[start] as string
      : (queue.slice(start, end) as string[]).join("\n");
    this.#advanceQueue(end);
    this.#queueChars -= text.length + 1;
    this.#queueRecords -= end - start;
    this.#inflight = {
      bytes: this.#encode(text),
      offset: 0,
      records: end - start,
      startSize: this.#fileBytes,
    };
  }

  /** Drops queue entries before `head`, compacting the array now and then. */
  #advanceQueue(head: number): void {
    this.#queueHead = head;
    if (head === this.#queue.length) {
      this.#queue = [];
      this.#queueHead = 0;
    } else if (head > 4096 && head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(head);
      this.#queueHead = 0;
    }
  }

  /**
   * UTF-8 bytes of `lines` (joined by `\n`) plus the final `\n`, in the reusable buffer when
   * they fit (one batch is in flight at a time). Lines are queued without their newline so no
   * per-record string concatenation is needed.
   */
  #encode(lines: string): Uint8Array {
    if (this.#buffer === undefined || this.#buffer.length < lines.length + 1) {
      this.#buffer = new Uint8Array(Math.max(lines.length, this.#flushBytes) + 64 * 1024);
    }
    const buffer = this.#buffer;
    const { read, written } = encoder.encodeInto(lines, buffer);
    if (read === lines.length && written < buffer.length) {
      buffer[written] = 0x0a;
      return buffer.subarray(0, written + 1);
    }
    return encoder.encode(lines + "\n");
  }

  async #writeInFlight(inflight: InFlight): Promise<void> {
    while (inflight.offset < inflight.bytes.length) {
      const n = await this.#file.write(inflight.bytes.subarray(inflight.offset));
      inflight.offset += n;
      this.#fileBytes += n;
    }
  }

  #enterFailure(error: unknown): void {
    if (this.#failure !== undefined) return;
    this.#failure = describeError(error);
    this.#lastFailure = this.#failure;
    this.#failedInEpisode = 0;
    this.#logger.error(
      "JsonlFileSink cannot write {path}: {cause}; queued records are kept and retried at the " +
        "next flush",
      { path: this.path, cause: this.#failure },
    );
    this.#releaseRoom();
  }

  #recovered(): void {
    this.#logger.info("JsonlFileSink writes to {path} succeeded again after {cause}", {
      path: this.path,
      cause: this.#failure,
      failedMeanwhile: this.#failedInEpisode,
    });
    this.#failure = undefined;
  }

  #abandonUnwritten(): void {
    const inflight = this.#inflight;
    const lost = this.#queueRecords + (inflight?.records ?? 0);
    this.#failed += lost;
    this.#settled += lost;
    this.#queue = [];
    this.#queueHead = 0;
    this.#queueChars = 0;
    this.#queueRecords = 0;
    this.#inflight = undefined;
    if (inflight !== undefined && inflight.offset > 0) {
      try {
        this.#file.truncateSync(inflight.startSize);
      } catch {
        // The file cannot even be cut back (a device, say); nothing more to do.
      }
    }
    this.#logger.error("JsonlFileSink gave up on {lost} record(s) for {path}: {cause}", {
      lost,
      path: this.path,
      cause: this.#failure,
    });
  }

  #armSyncTimer(): void {
    if (this.#syncTimer !== undefined) return;
    const due = Math.max(0, this.#lastSyncMs + this.#fsyncIntervalMs - Date.now());
    const timer = setTimeout(() => {
      this.#syncTimer = undefined;
      if (this.#dirty && !this.#closed) void this.#sync();
    }, due);
    Deno.unrefTimer(timer);
    this.#syncTimer = timer;
  }

  async #sync(): Promise<void> {
    this.#dirty = false;
    this.#lastSyncMs = Date.now();
    try {
      await this.#file.syncData();
    } catch (error) {
      this.#enterFailure(error);
    }
  }

  #currentWindow(now: number): number {
    const minutes = this.#rotation?.everyMinutes;
    return minutes === undefined ? 0 : windowStart(now, minutes);
  }

  /** The stamp (window start, or the minute) a new rotated file opened at `now` carries. */
  #stampFor(now: number): number {
    return windowStart(now, this.#rotation?.everyMinutes ?? 1);
  }

  /**
   * The rotated file for `stampMs`: the newest existing one of that stamp when `forceNew` is
   * false and it is under the size limit, else the next free sequence number.
   */
  async #rotatedName(stampMs: number, forceNew: boolean): Promise<string> {
    const stamp = formatWindowStamp(stampMs);
    const existing = (await listRotatedFiles(this.#dir, this.#base)).filter((f) =>
      f.stamp === stamp
    );
    if (existing.length === 0) return rotatedFileName(this.#base, stamp, 0);
    const last = existing[existing.length - 1];
    if (!forceNew) {
      const maxBytes = this.#rotation?.maxBytes;
      const size = (await Deno.stat(join(this.#dir, last.name))).size;
      if (maxBytes === undefined || size < maxBytes) return last.name;
    }
    return rotatedFileName(this.#base, stamp, last.sequence + 1);
  }

  /** Switches to the rotated file for `stampMs`; the old file stays open if the new one fails. */
  async #rotate(stampMs: number, forceNew: boolean): Promise<void> {
    const next = await this.#rotatedName(stampMs, forceNew);
    if (this.#fsync !== "none" && this.#dirty) await this.#sync();
    const previous = this.path;
    const oldFile = this.#file;
    const oldName = this.#fileName;
    this.#fileName = next;
    try {
      await this.#openFile();
    } catch (error) {
      this.#fileName = oldName;
      throw error;
    }
    oldFile.close();
    this.#fileStamp = stampMs;
    this.#logger.info("JsonlFileSink rotated {previous} -> {path}", { previous, path: this.path });
    const keep = this.#rotation?.keep;
    if (keep !== undefined) {
      const deleted = await applyRetention(this.#dir, this.#base, keep, this.#fileName);
      if (deleted.length > 0) {
        this.#logger.info("JsonlFileSink retention deleted {deleted}", { deleted });
      }
    }
  }

  /** Opens the current file (checked: a regular file with one link), repairing a torn tail. */
  async #openFile(): Promise<void> {
    const path = this.path;
    const file = await this.#openFileAt(path);
    try {
      const repair = await repairTornTail(file, path, formatStamp(this.#now()));
      if (repair !== undefined) {
        this.#logger.warn(
          "JsonlFileSink found a partial last line in {path} ({bytes} bytes, left by a crash); " +
            "moved it to {fragment}",
          { path, bytes: repair.fragmentBytes, fragment: repair.fragmentPath },
        );
      }
      this.#fileBytes = (await file.stat()).size;
    } catch (error) {
      file.close();
      throw error;
    }
    this.#file = file;
  }
}

function formatStamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}
