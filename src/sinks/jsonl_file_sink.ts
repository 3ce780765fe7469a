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
import { type Batch, BatchingQueue, sinkStatsOf } from "./batching_queue.ts";
import { LineBatchEncoder } from "./json_lines.ts";
import { openRecordFile, type RecordFileOpener } from "./record_file.ts";
import { FileSync } from "./file_sync.ts";
import { acquireRecordLock, type RecordLock } from "./record_lock.ts";
import { applyRetention, rotatedFileFor, type RotationPolicy, windowStart } from "./rotation.ts";
import {
  checkedRotation,
  type FsyncPolicy,
  type JsonlFileSinkTuning,
  positive,
  SINK_DEFAULTS,
} from "./file_sink_tuning.ts";
import {
  type EncodedLines,
  isEncoded,
  type QueuedLine,
  queuedLineBytes,
  queuedRecords,
  type WindowedLine,
} from "./queued_lines.ts";
import { WholeLineFile } from "./whole_line_file.ts";

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

/** Counters of a {@linkcode JsonlFileSink}. */
export interface JsonlFileSinkStats extends SinkStats {
  /** The file currently written. */
  readonly path: string;
  /** Records accepted but not yet written. */
  readonly queued: number;
}

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
  readonly #dir: string;
  readonly #base: string;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #fsync: FsyncPolicy;
  readonly #sync: FileSync;
  readonly #rotation: RotationPolicy | undefined;
  readonly #openFile: RecordFileOpener;
  readonly #retainFrom: JsonlFileSinkOptions["retainFrom"];
  readonly #queue: BatchingQueue<QueuedLine>;
  /** The lock this sink took itself (released on close); undefined when the caller holds it. */
  #ownLock: RecordLock | undefined;
  #fileName: string;
  #file!: WholeLineFile;
  /** Window start (or minute) the current rotated file is named after. */
  #fileStamp = 0;
  /** The time window of the current file (time rotation). */
  #fileWindow = 0;
  readonly #encoder: LineBatchEncoder;
  #closed = false;

  private constructor(options: JsonlFileSinkOptions, fileName: string) {
    this.#dir = observerDataDir(options.root);
    this.#base = fileName.slice(0, -".jsonl".length);
    this.#fileName = fileName;
    this.name = options.name ?? `jsonl:${fileName}`;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.#fsync = options.fsync ?? SINK_DEFAULTS.fsync;
    this.#sync = new FileSync(
      this.#fsync,
      positive(options.fsyncIntervalMs, SINK_DEFAULTS.fsyncIntervalMs, "fsyncIntervalMs"),
      () => this.#file.syncData(),
      // A sync that failed off the write path starts a failure episode (the next flush retries).
      (error) => this.#queue.reportFailure(error),
    );
    this.#rotation = checkedRotation(options.rotation);
    this.#openFile = options.openFile ?? openRecordFile;
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
      sink.#file = await sink.#open(sink.path);
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
      syncSeconds: this.#sync.summary(),
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
    if (lost > 0) {
      this.#logger.error("JsonlFileSink gave up on {lost} record(s) for {path}: {cause}", {
        lost,
        path: this.path,
        cause: this.#queue.stats().failure,
      });
    }
    try {
      await this.#file.applyRollback();
    } catch {
      // The file cannot even be cut back (a device, say); nothing more to do.
    }
    await this.#sync.stop();
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
        if (maxBytes !== undefined && this.#file.bytes > 0) {
          if (this.#file.bytes + batch.sizes[start] > maxBytes) {
            await this.#rotate(byTime ? this.#fileStamp : this.#stampFor(this.#now()), true);
          }
        }
        while (end < items.length) {
          const item = items[end];
          if (byTime && (item as WindowedLine).window !== window) break;
          if (maxBytes !== undefined) {
            const n = batch.sizes[end];
            if (end > start && this.#file.bytes + bytes + n > maxBytes) break;
            bytes += n;
          }
          end++;
        }
      }
      await this.#file.writeItems(batch, start, end, this.#encoder);
    }
    await this.#sync.written();
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
  #rotatedName(stampMs: number, forceNew: boolean): Promise<string> {
    return rotatedFileFor(this.#dir, this.#base, stampMs, forceNew, this.#rotation?.maxBytes);
  }

  /** Switches to the rotated file for `stampMs`; the old file stays open if the new one fails. */
  async #rotate(stampMs: number, forceNew: boolean): Promise<void> {
    const next = await this.#rotatedName(stampMs, forceNew);
    await this.#sync.beforeSwitch();
    const previous = this.path;
    const file = await this.#open(join(this.#dir, next));
    this.#file.close();
    this.#file = file;
    this.#fileName = next;
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

  /** Opens `path` (checked: a regular file with one link), repairing a torn tail. */
  #open(path: string): Promise<WholeLineFile> {
    return WholeLineFile.open(path, this.#openFile, this.#logger, this.#now());
  }
}
