/**
 * The dead-letter file: every input line that was rejected (not a snapshot) or whose snapshot
 * was blocked, written beside the record file as `<base>.rejected.jsonl` with its input name,
 * line number, reasons and the original text exactly, so that a user can fix and replay it
 * (`observer.ts replay` reads these files). It is opened only when the first entry comes, with
 * the record file's lock, rotation and durability.
 *
 * @module
 */

import type { DeadLetterEntry } from "../contract/dead_letter_entry.ts";
import type { Logger } from "../log/logging.ts";
import { JsonlFileSink } from "./jsonl_file_sink.ts";
import type { JsonlFileSinkTuning } from "./file_sink_tuning.ts";
import type { RecordLock } from "./record_lock.ts";
import { errorMessage } from "../io/error_message.ts";

/** Counters of a {@linkcode DeadLetterFile}. */
export interface DeadLetterStats {
  /** Entries accepted. */
  readonly entries: number;
  /** The file written (the current one, with rotation); absent when nothing was written. */
  readonly path?: string;
  /** Entries that could not be written (the file could not be opened or written). */
  readonly failed: number;
}

/** Where dead letters go; see {@linkcode DeadLetterFile}. */
export interface DeadLetters {
  /** Writes one entry (a returned promise means "wait": the file's queue is full). */
  add(entry: DeadLetterEntry): Promise<void>;
  /** Counters for the summary. */
  stats(): DeadLetterStats;
}

/** Options of {@linkcode DeadLetterFile}. */
export interface DeadLetterFileOptions {
  /** Project root; the file goes to `<root>/data/observer/<fileName>`. */
  readonly root: string;
  /** The dead-letter file name, e.g. `observer.rejected.jsonl` (see `deadLetterFileName`). */
  readonly fileName: string;
  /** The record file's tuning (rotation, fsync, queue). */
  readonly tuning?: JsonlFileSinkTuning;
  /** The record base's lock, held by the caller. */
  readonly lock: RecordLock;
  /** Receives the file's messages, open failures included. */
  readonly logger: Logger;
  /** Clock for rotation windows (epoch ms). Default `Date.now`. */
  readonly now?: () => number;
}

/**
 * A dead-letter file opened on the first entry. If it cannot be opened (a link planted in its
 * place, say), the error is logged once and the entries are counted as failed.
 *
 * @example
 * ```ts
 * import { DeadLetterFile } from "./dead_letter.ts";
 * import { acquireRecordLock } from "./record_lock.ts";
 * import { getObserverLogger } from "../log/logging.ts";
 * const root = await Deno.makeTempDir();
 * await Deno.mkdir(`${root}/data/observer`, { recursive: true });
 * using lock = await acquireRecordLock(`${root}/data/observer`, "x", "x.jsonl");
 * const letters = new DeadLetterFile({
 *   root, fileName: "x.rejected.jsonl", lock, logger: getObserverLogger("dead-letter"),
 * });
 * await letters.close();
 * ```
 */
export class DeadLetterFile implements DeadLetters, AsyncDisposable {
  readonly #options: DeadLetterFileOptions;
  #sink: Promise<JsonlFileSink<DeadLetterEntry> | undefined> | undefined;
  #opened: JsonlFileSink<DeadLetterEntry> | undefined;
  #entries = 0;
  #failed = 0;
  #closed = false;

  /** Nothing is opened until the first {@linkcode DeadLetterFile.add}. */
  constructor(options: DeadLetterFileOptions) {
    this.#options = options;
  }

  /** Opens the file if needed and queues the entry in it. */
  async add(entry: DeadLetterEntry): Promise<void> {
    if (this.#closed) throw new Error("dead-letter file is closed: expected add() before close()");
    this.#entries++;
    this.#sink ??= this.#open();
    const sink = await this.#sink;
    if (sink === undefined) {
      this.#failed++;
      return;
    }
    await sink.write(entry);
  }

  /** Counters, including what the file could not write once it is closed. */
  stats(): DeadLetterStats {
    return { entries: this.#entries, failed: this.#failed, path: this.#opened?.path };
  }

  /**
   * Writes the entries accepted so far (synced under `fsync: always`), if the file was opened;
   * rejects while it is failing.
   */
  async flush(): Promise<void> {
    const sink = await this.#sink;
    await sink?.flush();
  }

  /** Flushes, syncs and closes the file (if it was opened). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const sink = await this.#sink;
    if (sink === undefined) return;
    await sink.close();
    const stats = sink.stats();
    this.#failed += stats.failed + stats.dropped;
  }

  /** Lets a producer waiting for room in the file go on (see `Sink.unblock`). */
  unblock(): void {
    this.#opened?.unblock();
  }

  /** Same as {@linkcode DeadLetterFile.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #open(): Promise<JsonlFileSink<DeadLetterEntry> | undefined> {
    const { root, fileName, tuning, lock, logger, now } = this.#options;
    try {
      const sink = await JsonlFileSink.open<DeadLetterEntry>({
        ...tuning,
        // Dead letters are few and must not be dropped: always wait for room.
        whenFull: "block",
        root,
        fileName,
        lock,
        now,
        logger,
        name: `dead-letter:${fileName}`,
      });
      this.#opened = sink;
      return sink;
    } catch (error) {
      logger.error("Cannot open the dead-letter file {fileName}: {error}", {
        fileName,
        error: errorMessage(error),
      });
      return undefined;
    }
  }
}
