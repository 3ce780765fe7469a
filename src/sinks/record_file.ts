/**
 * The file a sink writes, behind a small interface (open, write, sync, truncate, close, plus the
 * reads crash recovery needs), so that fault tests can hand in a file that fails on command
 * instead of mounting a filesystem. `Deno.FsFile` is one.
 *
 * @module
 */

import { openForAppend } from "./safe_file.ts";

/** An open record file: what a sink and crash recovery do with it. */
export interface RecordFile {
  /** Appends from `bytes`; returns how many were written (maybe fewer: call again). */
  write(bytes: Uint8Array): Promise<number>;
  /** Forces written data to disk (`fdatasync`). */
  syncData(): Promise<void>;
  /** Cuts the file to `size` bytes. */
  truncate(size?: number): Promise<void>;
  /** Its size, among other facts. */
  stat(): Promise<{ readonly size: number }>;
  /** Moves the read position (crash recovery reads the tail). */
  seek(offset: number, whence: Deno.SeekMode): Promise<number>;
  /** Reads into `into`; null at the end. */
  read(into: Uint8Array): Promise<number | null>;
  /** Releases the file. */
  close(): void;
}

/** Opens a record file for reading and appending. */
export type RecordFileOpener = (path: string) => Promise<RecordFile>;

/**
 * The opener every sink uses unless told otherwise: `openForAppend`, which refuses links and
 * anything but a regular file with one link.
 *
 * @example
 * ```ts
 * import { openRecordFile } from "./record_file.ts";
 * const path = await Deno.makeTempFile({ suffix: ".jsonl" });
 * const file = await openRecordFile(path);
 * await file.write(new TextEncoder().encode("{}\n"));
 * file.close();
 * ```
 */
export const openRecordFile: RecordFileOpener = openForAppend;
