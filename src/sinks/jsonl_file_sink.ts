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
import type { Logger } from "../log/logging.ts";
import { checkRecordFileName, DEFAULT_RECORD_FILE, observerDataDir } from "../paths.ts";
import { type Batch, BatchingQueue, type QueueTuning, sinkStatsOf } from "./batching_queue.ts";
import { repairTornTail } from "./crash_recovery.ts";
import { countNewlines, LineBatchEncoder, lineBytes } from "./json_lines.ts";
import { openRecordFile, type RecordFile, type RecordFileOpener } from "./record_file.ts";
import { DurationHistogram } from "./duration_histogram.ts";
import { acquireRecordLock, type RecordLock } from "./record_lock.ts";
import {
  applyRetention,
  formatWindowStamp,
  listRotatedFiles,
  rotatedFileName,
  type RotationPolicy,
  windowStart,
} from "./rotation.ts";

/** When written bytes are forced to disk: never, about once per interval, or after every batch. */
export const FSYNC_POLICIES = ["none", "interval", "always"] as const;

/** One of {@linkcode FSYNC_POLICIES}. */
export type FsyncPolicy = typeof FSYNC_POLICIES[number];

/**
 * Tunables of a {@linkcode JsonlFileSink}; every one has a default in {@linkcode SINK_DEFAULTS}
 * (queue: 4 MiB bound, 1 MiB batches, 10 ms interval, `block`).
 */
export interface JsonlFileSinkTuning extends QueueTuning {
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
  readonly openFile?: RecordFileOpener;
  /**
   * Called after each batch is handed to the OS, with its number of records (they are the
   * oldest records not yet reported: batches are written in order). For latency metrics.
   */
  readonly onBatchWritten?: (records: number) => void;
  /**
   * The oldest file of this sink that followers of it still need (undefined: none). Retention
   * (`rotation.keep`) never deletes that file nor any after it.
   */
  readonly retainFrom?: () => Promise<string | undefined>;
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

/** A queued line with the rotation window it was accepted in (time rotation only). */
interface WindowedLine {
  readonly line: string;
  readonly window: number;
}

/**
 * Whole JSON lines serialized and encoded elsewhere (by parallel recording's workers): `count`
 * records in `bytes`, each line ending in `\n`.
 */
export interface EncodedLines {
  /** UTF-8 bytes of the lines, each ending in `\n`. */
  readonly bytes: Uint8Array;
  /** How many lines (records) they hold. */
  readonly count: number;
  /**
   * Called once the sink no longer holds `bytes` (written, dropped or given up on): their
   * buffer may then be reused. Not called when `writeEncoded` throws (nothing was taken).
   */
  readonly release?: () => void;
}

/** Encoded lines in the queue, with the window they were accepted in (0 without time rotation). */
interface QueuedEncoded {
  readonly encoded: Uint8Array;
  readonly count: number;
  readonly window: number;
  readonly release?: () => void;
}

/**
 * What the queue holds: the JSON text of a record, with its window when rotating by time, or
 * lines encoded elsewhere.
 */
type QueuedLine = string | WindowedLine | QueuedEncoded;

const isEncoded = (item: QueuedLine): item is QueuedEncoded =>
  typeof item !== "string" && "encoded" in item;

const lineOf = (item: string | WindowedLine): string => typeof item === "string" ? item : item.line;

/** UTF-8 bytes of a queued item, newlines included. */
const queuedLineBytes = (item: QueuedLine): number =>
  typeof item === "string"
    ? lineBytes(item)
    : isEncoded(item)
    ? item.encoded.length
    : lineBytes(item.line);

/** Records in a queued item. */
const queuedRecords = (item: QueuedLine): number =>
  typeof item === "string" || !isEncoded(item) ? 1 : item.count;

const textEncoder = new TextEncoder();

/**
 * Appends records to `<root>/data/observer/<file>`, one JSON line each.
 *
 * Records are serialized on `write()` and queued in a {@linkcode BatchingQueue} (bounded, with a
 * policy when full, batches cut by size or interval, failure episodes with retry); each batch is
 * written in one chunk through one open handle. A batch that fails halfway is rolled back to its
 * last whole line at once, so the file always ends on a complete line. On top: the durability
 * policy, crash recovery on open, and rotation by time window and size.
 *
 * @example
 * ```ts
 * import { JsonlFileSink } from "./jsonl_file_sink.ts";
 * import { getObserverLogger } from "../log/logging.ts";
 * import type { PatternRecord } from "../contract/pattern_record.ts";
 * declare const record: PatternRecord;
 * const root = await Deno.makeTempDir();
 * await using sink = await JsonlFileSink.open({ root, logger: getObserverLogger("sink") });
 * await sink.write(record);
 * ```
 */
export class JsonlFileSink<T = PatternRecord> implements Sink<T> {
  /** Name in logs and summaries. */
  readonly name: string;
  readonly #syncSeconds = new DurationHistogram();
  readonly #dir: string;
  readonly #base: string;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #fsync: FsyncPolicy;
  readonly #fsyncIntervalMs: number;
  readonly #rotation: RotationPolicy | undefined;
  readonly #openFileAt: RecordFileOpener;
  readonly #retainFrom: JsonlFileSinkOptions["retainFrom"];
  readonly #queue: BatchingQueue<QueuedLine>;
  /** The lock this sink took itself (released on close); undefined when the caller holds it. */
  #ownLock: RecordLock | undefined;
  #fileName: string;
  #file!: RecordFile;
  #fileBytes = 0;
  /** Window start (or minute) the current rotated file is named after. */
  #fileStamp = 0;
  /** The time window of the current file (time rotation). */
  #fileWindow = 0;
  /** Where the file must be cut back to before the next write (a failed rollback), if set. */
  #rollbackTo: number | undefined;
  readonly #encoder: LineBatchEncoder;
  #syncTimer: ReturnType<typeof setTimeout> | undefined;
  #lastSyncMs = 0;
  #dirty = false;
  #closed = false;

  private constructor(options: JsonlFileSinkOptions, fileName: string) {
    this.#dir = observerDataDir(options.root);
    this.#base = fileName.slice(0, -".jsonl".length);
    this.#fileName = fileName;
    this.name = options.name ?? `jsonl:${fileName}`;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
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
    this.#openFileAt = options.openFile ?? openRecordFile;
    this.#retainFrom = options.retainFrom;
    const flushBytes = positive(options.flushBytes, SINK_DEFAULTS.flushBytes, "flushBytes");
    this.#encoder = new LineBatchEncoder(flushBytes);
    this.#queue = new BatchingQueue<QueuedLine>({
      maxBytes: positive(options.maxQueueBytes, SINK_DEFAULTS.maxQueueBytes, "maxQueueBytes"),
      flushBytes,
      flushIntervalMs: positive(
        options.flushIntervalMs,
        SINK_DEFAULTS.flushIntervalMs,
        "flushIntervalMs",
      ),
      whenFull: options.whenFull ?? SINK_DEFAULTS.whenFull,
      sizeOf: queuedLineBytes,
      countOf: queuedRecords,
      onRelease: (item) => {
        if (typeof item !== "string" && isEncoded(item)) item.release?.();
      },
      write: (batch) => this.#writeBatch(batch),
      onBatchWritten: options.onBatchWritten,
      onFailure: (cause) =>
        this.#logger.error(
          "JsonlFileSink cannot write {path}: {cause}; queued records are kept and retried at " +
            "the next flush",
          { path: this.path, cause },
        ),
      onRecovery: (cause, failedMeanwhile) =>
        this.#logger.info("JsonlFileSink writes to {path} succeeded again after {cause}", {
          path: this.path,
          cause,
          failedMeanwhile,
        }),
    });
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
        sink.#fileWindow = sink.#currentWindow(now);
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
      whenFull: options.whenFull ?? SINK_DEFAULTS.whenFull,
    });
    return sink;
  }

  /** The file currently written. */
  get path(): string {
    return join(this.#dir, this.#fileName);
  }

  /** Counters for the run summary. */
  stats(): JsonlFileSinkStats {
    const q = this.#queue.stats();
    return {
      ...sinkStatsOf(q),
      path: this.path,
      queued: q.queued,
      syncSeconds: this.#syncSeconds.summary(),
    };
  }

  /**
   * Serializes and queues one record. Returns a promise only when the queue is full under the
   * `block` policy; it resolves when there is room again.
   */
  write(record: T): void | Promise<void> {
    return this.writeLine(JSON.stringify(record));
  }

  /**
   * Queues one line that is already JSON text (a record read back exactly, by `merge`); it must
   * hold no line end. Backpressure as for {@linkcode write}.
   */
  writeLine(line: string): void | Promise<void> {
    if (this.#closed) {
      throw new Error(`${this.name} is closed: expected write() before close()`);
    }
    if (this.#rotation?.everyMinutes === undefined) return this.#queue.push(line);
    return this.#queue.push({ line, window: this.#currentWindow(this.#now()) });
  }

  /**
   * Queues lines serialized and encoded elsewhere (parallel recording's workers make the same
   * JSON text {@linkcode write} would), to be appended whole and in the order given; they count
   * as `lines.count` records. Returns a promise only when the queue is full under the `block`
   * policy. Not with size rotation (`rotation.maxBytes`), which must cut between records: write
   * records one by one there.
   */
  writeEncoded(lines: EncodedLines): void | Promise<void> {
    if (this.#closed) {
      throw new Error(`${this.name} is closed: expected writeEncoded() before close()`);
    }
    if (this.#rotation?.maxBytes !== undefined) {
      throw new Error(
        `${this.name}: encoded lines cannot be cut for size rotation (rotation.maxBytes): ` +
          "expected records one by one (write)",
      );
    }
    return this.#queue.push({
      encoded: lines.bytes,
      count: lines.count,
      window: this.#currentWindow(this.#now()),
      release: lines.release,
    });
  }

  /**
   * Writes everything accepted so far; resolves once those bytes are handed to the OS (and
   * synced under `fsync: always`). Rejects when the file is failing.
   */
  async flush(): Promise<void> {
    try {
      await this.#queue.flush();
    } catch (error) {
      throw new Error(
        `${this.name}: cannot write ${this.path}: ${
          error instanceof Error ? error.message : error
        }`,
      );
    }
  }

  /**
   * Stops accepting records, writes what is queued, syncs (unless `fsync: none`) and closes the
   * file. What could not be written is counted as failed; the file still ends on a complete
   * line. Never rejects; see {@linkcode stats}.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const lost = await this.#queue.close();
    clearTimeout(this.#syncTimer);
    this.#syncTimer = undefined;
    if (lost > 0) {
      this.#logger.error("JsonlFileSink gave up on {lost} record(s) for {path}: {cause}", {
        lost,
        path: this.path,
        cause: this.#queue.stats().failure,
      });
    }
    try {
      await this.#applyRollback();
    } catch {
      // The file cannot even be cut back (a device, say); nothing more to do.
    }
    if (this.#fsync !== "none" && this.#dirty) await this.#sync();
    this.#file.close();
    this.#ownLock?.release();
    const stats = this.stats();
    this.#logger.info("JsonlFileSink closed: {path}", {
      path: this.path,
      written: stats.written,
      dropped: stats.dropped,
      failed: stats.failed,
    });
  }

  /** Lets producers waiting for room go on (see `Sink.unblock`). */
  unblock(): void {
    this.#queue.unblock();
  }

  /** Resolves once `bytes` fit in the queue (see `Sink.waitForRoom`). */
  waitForRoom(bytes: number, signal?: AbortSignal): Promise<boolean> {
    return this.#queue.waitForRoom(bytes, signal);
  }

  /** Same as {@linkcode close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Writes a batch in order: groups of lines that share a time window and fit the size limit,
   * rotating between groups. Advances `batch.done` group by group.
   */
  async #writeBatch(batch: Batch<QueuedLine>): Promise<void> {
    const { items } = batch;
    const maxBytes = this.#rotation?.maxBytes;
    const byTime = this.#rotation?.everyMinutes !== undefined;
    while (batch.done < items.length) {
      const start = batch.done;
      const first = items[start];
      const window = typeof first === "string" ? this.#fileWindow : first.window;
      if (byTime && window !== this.#fileWindow) {
        await this.#rotate(window, false);
        this.#fileWindow = window;
      }
      let end = start;
      if (maxBytes === undefined && !byTime) {
        end = items.length;
      } else {
        let bytes = 0;
        if (maxBytes !== undefined && this.#fileBytes > 0) {
          if (this.#fileBytes + batch.sizes[start] > maxBytes) {
            await this.#rotate(byTime ? this.#fileStamp : this.#stampFor(this.#now()), true);
          }
        }
        while (end < items.length) {
          const item = items[end];
          if (byTime && (item as WindowedLine).window !== window) break;
          if (maxBytes !== undefined) {
            const n = batch.sizes[end];
            if (end > start && this.#fileBytes + bytes + n > maxBytes) break;
            bytes += n;
          }
          end++;
        }
      }
      await this.#writeLines(batch, start, end);
    }
    this.#dirty = true;
    if (this.#fsync === "always") await this.#syncOrThrow();
    else if (this.#fsync === "interval") this.#armSyncTimer();
  }

  /**
   * Writes items `start..end` as one chunk. On a failure part way, the lines written whole
   * count as done and the file is cut back to the last of them (a torn line never stays).
   */
  async #writeLines(batch: Batch<QueuedLine>, start: number, end: number): Promise<void> {
    await this.#applyRollback();
    const items = batch.items;
    if (isEncoded(items[start])) return await this.#writeEncodedItems(batch, start, end);
    const lines = typeof items[start] === "string"
      ? (items as readonly string[]).slice(start, end)
      : (items.slice(start, end) as readonly WindowedLine[]).map(lineOf);
    const bytes = this.#encoder.encode(lines);
    const startSize = this.#fileBytes;
    try {
      await this.#writeAll(bytes);
    } catch (error) {
      const offset = this.#fileBytes - startSize;
      const whole = bytes.subarray(0, offset).lastIndexOf(0x0a) + 1;
      batch.done = start + countNewlines(bytes.subarray(0, whole));
      if (whole < offset) await this.#cutBack(startSize + whole);
      throw error;
    }
    batch.done = end;
  }

  /** Writes all of `bytes`, counting in `#fileBytes` what the file took, even when it throws. */
  async #writeAll(bytes: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < bytes.length) {
      const n = await this.#file.write(bytes.subarray(offset));
      offset += n;
      this.#fileBytes += n;
    }
  }

  /** After a failed write, cuts the file back to `size` now, or before the next write. */
  async #cutBack(size: number): Promise<void> {
    this.#rollbackTo = size;
    try {
      await this.#applyRollback();
    } catch {
      // Cut back before the next write (or at close).
    }
  }

  /**
   * Writes items `start..end`, at least the first of them encoded lines, one item at a time. On a
   * failure part way through an item, the items before count as done and the file is cut back
   * to where the item began (its lines are retried with it).
   */
  async #writeEncodedItems(batch: Batch<QueuedLine>, start: number, end: number): Promise<void> {
    for (let i = start; i < end; i++) {
      const item = batch.items[i];
      const bytes = isEncoded(item) ? item.encoded : textEncoder.encode(lineOf(item) + "\n");
      const itemStart = this.#fileBytes;
      try {
        await this.#writeAll(bytes);
      } catch (error) {
        batch.done = i;
        if (this.#fileBytes > itemStart) await this.#cutBack(itemStart);
        throw error;
      }
      batch.done = i + 1;
    }
  }

  /** Cuts the file back to its last whole line after a failed write, if that is pending. */
  async #applyRollback(): Promise<void> {
    if (this.#rollbackTo === undefined) return;
    await this.#file.truncate(this.#rollbackTo);
    this.#fileBytes = this.#rollbackTo;
    this.#rollbackTo = undefined;
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

  async #syncOrThrow(): Promise<void> {
    this.#dirty = false;
    this.#lastSyncMs = Date.now();
    await this.#syncSeconds.time(() => this.#file.syncData());
  }

  /** Syncs; a failure starts a failure episode (the next flush retries). */
  async #sync(): Promise<void> {
    try {
      await this.#syncOrThrow();
    } catch (error) {
      this.#queue.reportFailure(error);
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
    if (this.#fsync !== "none" && this.#dirty) await this.#syncOrThrow();
    const previous = this.path;
    const oldFile = this.#file;
    const oldName = this.#fileName;
    const oldBytes = this.#fileBytes;
    this.#fileName = next;
    try {
      await this.#openFile();
    } catch (error) {
      this.#fileName = oldName;
      this.#fileBytes = oldBytes;
      throw error;
    }
    oldFile.close();
    this.#fileStamp = stampMs;
    this.#logger.info("JsonlFileSink rotated {previous} -> {path}", { previous, path: this.path });
    const keep = this.#rotation?.keep;
    if (keep !== undefined) {
      const retainFrom = await this.#retainFrom?.();
      const deleted = await applyRetention(this.#dir, this.#base, keep, this.#fileName, retainFrom);
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

function positive(value: number | undefined, fallback: number, what: string): number {
  const chosen = value ?? fallback;
  if (!Number.isFinite(chosen) || chosen <= 0) {
    throw new RangeError(`${what}: expected a positive number, got ${value}`);
  }
  return chosen;
}

function formatStamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}
