/**
 * Reads one finished record file for the catalog: its bytes only up to its last whole line,
 * hashed (SHA-256) and their lines counted as they go by, so the manifest describes exactly what
 * was read; and the digest alone of a file (what `catalog verify` checks).
 *
 * @module
 */

import { createHash } from "node:crypto";
import type { RecordReadStats } from "../records/record_reader.ts";
import { completeLength } from "./finished_files.ts";
import { countNewlines } from "../io/utf8.ts";

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

/** A source file's bytes up to its last whole line, open for reading. */
export interface SourceBytes extends Disposable {
  /** The bytes, as a stream; `digest` is complete (with `sha256`) once it has ended. */
  readonly stream: ReadableStream<Uint8Array>;
  /** What was read: filled in as the bytes go by. */
  readonly digest: SourceDigest;
}

/**
 * Opens `path` for reading up to its last whole line, hashing (SHA-256) and counting the lines
 * of the bytes as they are read, so the manifest describes exactly what was read. Dispose of it
 * to close the file.
 *
 * @example
 * ```ts
 * import { openSourceBytes } from "./source_scan.ts";
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, "a\nb\ntorn");
 * using source = await openSourceBytes(path);
 * for await (const _ of source.stream);
 * source.digest.lines; // => 2
 * ```
 */
export async function openSourceBytes(path: string): Promise<SourceBytes> {
  const file = await Deno.open(path, { read: true });
  try {
    const size = (await file.stat()).size;
    const limit = await completeLength(file, size);
    await file.seek(0, Deno.SeekMode.Start);
    const digest: SourceDigest = { bytes: 0, lines: 0, sha256: "", tailBytes: size - limit };
    const stream = digestingStream(file, limit, digest);
    return { stream, digest, [Symbol.dispose]: () => file.close() };
  } catch (error) {
    file.close();
    throw error;
  }
}

/**
 * The first `limit` bytes of `file` as a stream, each chunk shown to `onChunk` first, `onEnd`
 * called when it ends.
 */
function boundedStream(
  file: Deno.FsFile,
  limit: number,
  onChunk: (chunk: Uint8Array) => void,
  onEnd: () => void,
): ReadableStream<Uint8Array> {
  let left = limit;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const buffer = left <= 0 ? undefined : new Uint8Array(Math.min(left, 1024 * 1024));
      const n = buffer === undefined ? null : await file.read(buffer);
      if (buffer === undefined || n === null || n === 0) {
        onEnd();
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

/**
 * The first `limit` bytes of `file`, each chunk added to `digest` (bytes, lines) and its hash;
 * `digest.sha256` is set when the stream ends.
 */
function digestingStream(
  file: Deno.FsFile,
  limit: number,
  digest: SourceDigest,
): ReadableStream<Uint8Array> {
  const hash = createHash("sha256");
  const onChunk = (chunk: Uint8Array) => {
    hash.update(chunk);
    digest.bytes += chunk.length;
    digest.lines += countNewlines(chunk);
  };
  return boundedStream(file, limit, onChunk, () => digest.sha256 = hash.digest("hex"));
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
  const reader = digestingStream(file, limit, digest).getReader();
  while (!(await reader.read()).done);
  return digest;
}
