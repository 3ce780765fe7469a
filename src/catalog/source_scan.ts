/**
 * Reads one finished record file for the catalog: its records through the project's record
 * reader, only up to its last whole line, while the same bytes are hashed (SHA-256) and their
 * lines counted, so the manifest describes exactly what was read.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { type RecordLine, RecordReader, type RecordReadStats } from "../records/record_reader.ts";
import { completeLength } from "./finished_files.ts";

/** What a scan saw of a source file, complete once its records were all taken. */
export interface SourceDigest {
  /** Bytes read: the file up to and including its last line end. */
  bytes: number;
  /** Line ends in those bytes. */
  lines: number;
  /** SHA-256 of those bytes, lowercase hex. */
  sha256: string;
  /** Bytes after the last line end, left unread (a writer's torn leftover). */
  tailBytes: number;
  /** The reader's counters. */
  stats?: RecordReadStats;
}

/** Options of {@linkcode scanSource}. */
export interface ScanOptions {
  /** Longest line read, in bytes (the reader's default when absent). */
  readonly maxLineBytes?: number;
  /** Called with each bad line (not a record): they are skipped and counted. */
  readonly onBadLine?: (line: number, reason: string) => void;
}

/**
 * The records of `path`, up to its last whole line; `digest` is filled in as the bytes go by
 * and is complete when iteration ends.
 *
 * @example
 * ```ts
 * import { scanSource, type SourceDigest } from "./source_scan.ts";
 * declare const path: string;
 * const digest: SourceDigest = { bytes: 0, lines: 0, sha256: "", tailBytes: 0 };
 * for await (const { record } of scanSource(path, digest)) console.log(record.snapshot.meta.run_id);
 * console.log(digest.sha256);
 * ```
 */
export async function* scanSource(
  path: string,
  digest: SourceDigest,
  options: ScanOptions = {},
): AsyncGenerator<RecordLine> {
  using file = await Deno.open(path, { read: true });
  const size = (await file.stat()).size;
  const limit = await completeLength(file, size);
  await file.seek(0, Deno.SeekMode.Start);
  digest.tailBytes = size - limit;
  const hash = createHash("sha256");
  const stream = digestingStream(file, limit, digest, hash);
  const reader = new RecordReader(path, stream, {
    mode: "lenient",
    maxLineBytes: options.maxLineBytes,
    onBadLine: (bad) => options.onBadLine?.(bad.line, bad.reason),
  });
  yield* reader;
  digest.stats = reader.stats;
  digest.sha256 = hash.digest("hex");
}

/** The first `limit` bytes of `file` as a stream, each chunk shown to `onChunk` first. */
function boundedStream(
  file: Deno.FsFile,
  limit: number,
  onChunk: (chunk: Uint8Array) => void,
): ReadableStream<Uint8Array> {
  let left = limit;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (left <= 0) {
        controller.close();
        return;
      }
      const buffer = new Uint8Array(Math.min(left, 256 * 1024));
      const n = await file.read(buffer);
      if (n === null || n === 0) {
        controller.close();
        return;
      }
      const chunk = buffer.subarray(0, n);
      left -= n;
      onChunk(chunk);
      controller.enqueue(chunk);
    },
  });
}

/** The first `limit` bytes of `file`, each chunk added to `digest` (bytes, lines) and `hash`. */
function digestingStream(
  file: Deno.FsFile,
  limit: number,
  digest: SourceDigest,
  hash: ReturnType<typeof createHash>,
): ReadableStream<Uint8Array> {
  return boundedStream(file, limit, (chunk) => {
    hash.update(chunk);
    digest.bytes += chunk.length;
    let at = chunk.indexOf(0x0a);
    while (at >= 0) {
      digest.lines++;
      at = chunk.indexOf(0x0a, at + 1);
    }
  });
}

/**
 * SHA-256, byte count and line count of the first `bytes` bytes of `path` (or the whole file),
 * without parsing: what `catalog verify` checks a manifest's source entry against. `bytes` is
 * then what was actually there (less than asked for a truncated file).
 *
 * @example
 * ```ts
 * import { digestFile } from "./source_scan.ts";
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, "a\nb\n");
 * (await digestFile(path)).lines; // => 2
 * ```
 */
export async function digestFile(path: string, bytes?: number): Promise<SourceDigest> {
  using file = await Deno.open(path, { read: true });
  const size = (await file.stat()).size;
  const limit = bytes === undefined ? size : Math.min(bytes, size);
  const digest: SourceDigest = { bytes: 0, lines: 0, sha256: "", tailBytes: size - limit };
  const hash = createHash("sha256");
  const reader = digestingStream(file, limit, digest, hash).getReader();
  while (!(await reader.read()).done);
  digest.sha256 = hash.digest("hex");
  return digest;
}
