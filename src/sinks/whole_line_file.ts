/**
 * The open file of a record file sink, kept ending on a whole line: batches of queued lines are
 * written in one chunk each, and a write that fails part way is cut back to its last whole line
 * (at once, or before the next write when even the cut fails). Opening repairs a torn tail a
 * crash left behind.
 *
 * @module
 */

import type { Batch } from "./batching_queue.ts";
import type { Logger } from "../log/logging.ts";
import { repairTornTail } from "./crash_recovery.ts";
import { countNewlines } from "../io/utf8.ts";
import type { LineBatchEncoder } from "./json_lines.ts";
import type { RecordFile, RecordFileOpener } from "./record_file.ts";
import { isEncoded, lineOf, type QueuedLine, type WindowedLine } from "./queued_lines.ts";

const textEncoder = new TextEncoder();

/** A record file open for appending, with its size as written so far. */
export class WholeLineFile {
  readonly #file: RecordFile;
  #bytes: number;
  /** Where the file must be cut back to before the next write (a failed rollback), if set. */
  #rollbackTo: number | undefined;

  private constructor(file: RecordFile, bytes: number) {
    this.#file = file;
    this.#bytes = bytes;
  }

  /**
   * Opens `path` with `openFile` (the sink's checks: a regular file with one link), moving a
   * partial last line aside first (logged as a warning; `nowMs` stamps the fragment's name).
   */
  static async open(
    path: string,
    openFile: RecordFileOpener,
    logger: Logger,
    nowMs: number,
  ): Promise<WholeLineFile> {
    const file = await openFile(path);
    try {
      const repair = await repairTornTail(file, path, formatStamp(nowMs));
      if (repair !== undefined) {
        logger.warn(
          "JsonlFileSink found a partial last line in {path} ({bytes} bytes, left by a crash); " +
            "moved it to {fragment}",
          { path, bytes: repair.fragmentBytes, fragment: repair.fragmentPath },
        );
      }
      return new WholeLineFile(file, (await file.stat()).size);
    } catch (error) {
      file.close();
      throw error;
    }
  }

  /** The file's size: what it held when opened plus what this handle wrote. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Writes items `start..end` of `batch` as one chunk (or item by item when they begin with
   * encoded lines). On a failure part way, the lines written whole count as done
   * (`batch.done`) and the file is cut back to the last of them: a torn line never stays.
   */
  async writeItems(
    batch: Batch<QueuedLine>,
    start: number,
    end: number,
    encoder: LineBatchEncoder,
  ): Promise<void> {
    await this.applyRollback();
    const items = batch.items;
    if (isEncoded(items[start])) return await this.#writeEncodedItems(batch, start, end);
    const lines = typeof items[start] === "string"
      ? (items as readonly string[]).slice(start, end)
      : (items.slice(start, end) as readonly WindowedLine[]).map(lineOf);
    const bytes = encoder.encode(lines);
    const startSize = this.#bytes;
    try {
      await this.#writeAll(bytes);
    } catch (error) {
      const offset = this.#bytes - startSize;
      const whole = bytes.subarray(0, offset).lastIndexOf(0x0a) + 1;
      batch.done = start + countNewlines(bytes.subarray(0, whole));
      if (whole < offset) await this.#cutBack(startSize + whole);
      throw error;
    }
    batch.done = end;
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
      const itemStart = this.#bytes;
      try {
        await this.#writeAll(bytes);
      } catch (error) {
        batch.done = i;
        if (this.#bytes > itemStart) await this.#cutBack(itemStart);
        throw error;
      }
      batch.done = i + 1;
    }
  }

  /** Writes all of `bytes`, counting what the file took, even when it throws. */
  async #writeAll(bytes: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < bytes.length) {
      const n = await this.#file.write(bytes.subarray(offset));
      offset += n;
      this.#bytes += n;
    }
  }

  /** After a failed write, cuts the file back to `size` now, or before the next write. */
  async #cutBack(size: number): Promise<void> {
    this.#rollbackTo = size;
    try {
      await this.applyRollback();
    } catch {
      // Cut back before the next write (or at close).
    }
  }

  /** Cuts the file back to its last whole line after a failed write, if that is pending. */
  async applyRollback(): Promise<void> {
    if (this.#rollbackTo === undefined) return;
    await this.#file.truncate(this.#rollbackTo);
    this.#bytes = this.#rollbackTo;
    this.#rollbackTo = undefined;
  }

  /** Forces what was written to disk. */
  syncData(): Promise<void> {
    return this.#file.syncData();
  }

  /** Releases the file. */
  close(): void {
    this.#file.close();
  }
}

/** `YYYYMMDDTHHMMSSZ`, for the name of a moved-aside fragment. */
function formatStamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}
