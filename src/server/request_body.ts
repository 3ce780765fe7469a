/**
 * Reading an ingest request's body within limits: at most `maxBodyBytes` (after gzip
 * decompression too, so a small compressed body cannot grow without bound) and at most
 * `maxLines` lines. The body is read whole before anything is recorded, so a request refused for
 * its size records nothing.
 *
 * @module
 */

import { concatBytes } from "../io/line_reader.ts";
import { countNewlines } from "../io/utf8.ts";
import type { BodyBuffers } from "./body_buffers.ts";

/** A request refused before anything was recorded: its HTTP status and why. */
export class RequestRefused extends Error {
  /** The HTTP status to answer with. */
  readonly status: number;
  /** Extra response headers (`Retry-After`, say). */
  readonly headers: Record<string, string>;

  /** Makes the refusal. */
  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = "RequestRefused";
    this.status = status;
    this.headers = headers;
  }
}

/** Limits of one ingest request. */
export interface BodyLimits {
  /** Largest body, in bytes (decompressed). */
  readonly maxBodyBytes: number;
  /** Most lines in one body. */
  readonly maxLines: number;
}

/**
 * Compressed bytes given to the inflater at a time. DEFLATE inflates at most about 1,032 times,
 * so one step makes at most about 1 MiB, and the body limit is checked after each: a gzip bomb
 * is stopped within a step of the limit instead of inflating a whole read of the body (64 KiB,
 * 64 MiB of zeros) at once.
 */
export const INFLATE_STEP_BYTES = 1024;

/**
 * `body` inflated (gzip), fed to the inflater {@linkcode INFLATE_STEP_BYTES} at a time and only
 * as fast as the result is read. `failed` is called when reading `body` itself fails (the client
 * went away), as opposed to its decompression.
 */
function inflateInSteps(
  body: ReadableStream<Uint8Array>,
  failed: () => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const pieces = new ReadableStream<BufferSource>({
    async pull(controller) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (error) {
        failed();
        throw error;
      }
      if (result.done) return controller.close();
      const chunk = result.value;
      for (let at = 0; at < chunk.length; at += INFLATE_STEP_BYTES) {
        controller.enqueue(chunk.subarray(at, at + INFLATE_STEP_BYTES) as Uint8Array<ArrayBuffer>);
      }
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
  return pieces.pipeThrough(new DecompressionStream("gzip"));
}

/**
 * The body of `request`, decompressed when `Content-Encoding: gzip`, or a {@linkcode
 * RequestRefused} (413 too large or too many lines, 415 another encoding, 400 bad gzip, 408 when
 * `signal` aborts before the body is all there: a client sending too slowly).
 *
 * @example
 * ```ts
 * import { readBoundedBody } from "./request_body.ts";
 * const request = new Request("http://x/", { method: "POST", body: "{}\n{}\n" });
 * (await readBoundedBody(request, { maxBodyBytes: 1024, maxLines: 10 })).length; // => 6
 * ```
 */
export async function readBoundedBody(
  request: Request,
  limits: BodyLimits,
  signal?: AbortSignal,
  buffers?: BodyBuffers,
): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > limits.maxBodyBytes) {
    throw new RequestRefused(
      413,
      `expected a body of at most ${limits.maxBodyBytes} bytes, got ${declared} (Content-Length)`,
    );
  }
  const encoding = (request.headers.get("content-encoding") ?? "identity").trim().toLowerCase();
  if (encoding !== "identity" && encoding !== "gzip") {
    throw new RequestRefused(415, `expected Content-Encoding gzip or none, got ${encoding}`);
  }
  if (request.body === null) return new Uint8Array(0);
  if (encoding === "identity") {
    const reader = byobReader(request.body);
    if (reader !== undefined) {
      return await readInPlace(reader, declared, limits, signal, buffers);
    }
  }
  /** Whether reading the body itself failed (not its decompression). */
  let bodyFailed = false;
  const stream = encoding === "gzip"
    ? inflateInSteps(request.body, () => bodyFailed = true)
    : request.body;
  const chunks: Uint8Array[] = [];
  let size = 0;
  let lines = 0;
  const reader = stream.getReader();
  const tooSlow = () => reader.cancel().catch(() => {});
  signal?.addEventListener("abort", tooSlow, { once: true });
  try {
    while (true) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (error) {
        if (signal?.aborted) {
          throw new RequestRefused(408, "expected the whole body in time, got it too slowly");
        }
        if (encoding === "gzip" && !bodyFailed) {
          throw new RequestRefused(400, `expected a gzip body: ${(error as Error).message}`);
        }
        // The client ended its connection before the whole body came (it is gone, or it shut
        // its side of it early): refused like a malformed body, and the slot is free at once.
        throw new RequestRefused(400, "expected the whole body, got the connection ended first");
      }
      if (signal?.aborted) {
        throw new RequestRefused(408, "expected the whole body in time, got it too slowly");
      }
      if (result.done) break;
      const chunk = result.value;
      // An empty chunk carries nothing, and must not hide whether the last byte ended a line.
      if (chunk.length === 0) continue;
      size += chunk.length;
      if (size > limits.maxBodyBytes) {
        throw new RequestRefused(
          413,
          `expected a body of at most ${limits.maxBodyBytes} bytes${
            encoding === "gzip" ? " (decompressed)" : ""
          }, got more`,
        );
      }
      lines += countNewlines(chunk);
      if (lines > limits.maxLines) throw tooManyLines(limits);
      chunks.push(chunk);
    }
  } finally {
    signal?.removeEventListener("abort", tooSlow);
    reader.cancel().catch(() => {});
  }
  const last = chunks.at(-1);
  if (last !== undefined && last[last.length - 1] !== 0x0a) lines++;
  if (lines > limits.maxLines) throw tooManyLines(limits);
  return concatBytes(chunks, size) as Uint8Array<ArrayBuffer>;
}

/** A reader that fills buffers it is given, or undefined when `body` is not a byte stream. */
function byobReader(body: ReadableStream<Uint8Array>): ReadableStreamBYOBReader | undefined {
  try {
    return body.getReader({ mode: "byob" });
  } catch {
    return undefined; // a stream of chunks (a Request made here, in tests)
  }
}

/** Bytes of a body without a Content-Length given to the first read. */
const UNDECLARED_FIRST_BYTES = 64 * 1024;

/**
 * {@linkcode readBoundedBody} of a plain body from a byte stream (the server's), read into one
 * buffer: the declared length (and a byte more, where the end is seen) when given, else grown by
 * doubling. The server's body is not handed over in many small chunks then copied into one (GC
 * and copying on the service's main thread, 7 % of its time at 1,000 lines a request).
 */
async function readInPlace(
  reader: ReadableStreamBYOBReader,
  declared: number,
  limits: BodyLimits,
  signal?: AbortSignal,
  buffers?: BodyBuffers,
): Promise<Uint8Array<ArrayBuffer>> {
  const tooSlow = () => reader.cancel().catch(() => {});
  signal?.addEventListener("abort", tooSlow, { once: true });
  const first = Number.isFinite(declared)
    ? declared + 1
    : Math.min(UNDECLARED_FIRST_BYTES, limits.maxBodyBytes + 1);
  let buffer = buffers?.take(first) ?? new Uint8Array(first);
  let filled = 0;
  let lines = 0;
  try {
    while (true) {
      if (filled === buffer.length) {
        const larger = new Uint8Array(Math.min(buffer.length * 2, limits.maxBodyBytes + 1));
        larger.set(buffer);
        buffer = larger;
      }
      let result: ReadableStreamReadResult<Uint8Array<ArrayBuffer>>;
      try {
        result = await reader.read(buffer.subarray(filled));
      } catch {
        if (signal?.aborted) {
          throw new RequestRefused(408, "expected the whole body in time, got it too slowly");
        }
        throw new RequestRefused(400, "expected the whole body, got the connection ended first");
      }
      if (signal?.aborted) {
        throw new RequestRefused(408, "expected the whole body in time, got it too slowly");
      }
      // The read took the buffer over (even the last, which reads nothing): the bytes are in the
      // buffer of the view it gave back.
      if (result.value !== undefined) buffer = new Uint8Array(result.value.buffer);
      if (result.done) break;
      const chunk = result.value;
      if (chunk.length === 0) continue;
      filled += chunk.length;
      if (filled > limits.maxBodyBytes) {
        throw new RequestRefused(
          413,
          `expected a body of at most ${limits.maxBodyBytes} bytes, got more`,
        );
      }
      lines += countNewlines(chunk);
      if (lines > limits.maxLines) throw tooManyLines(limits);
    }
  } finally {
    signal?.removeEventListener("abort", tooSlow);
    reader.cancel().catch(() => {});
  }
  if (filled > 0 && buffer[filled - 1] !== 0x0a) lines++;
  if (lines > limits.maxLines) throw tooManyLines(limits);
  return buffer.subarray(0, filled);
}

function tooManyLines(limits: BodyLimits): RequestRefused {
  return new RequestRefused(
    413,
    `expected at most ${limits.maxLines} lines in one request, got more`,
  );
}
