/**
 * Messages (one snapshot line each, such as a NATS consumer's) as chunks for parallel
 * recording: the bytes of consecutive messages, each followed by `\n`, go into one chunk buffer
 * until it holds `chunkBytes` or no further message is ready at once (so a quiet stream is not
 * held back waiting for a full chunk); each line keeps its message's number (the stream
 * sequence) for reports and dead letters; and once a chunk's records are with the sink, the
 * handles of its messages are passed on (to be acknowledged). A message whose bytes hold a line
 * end, start with a byte-order mark or pass the workers' line limit cannot travel among the others
 * as one line: it becomes a chunk of its own, judged as one line on the main thread, in its place.
 *
 * @module
 */

import { DEFAULT_MAX_LINE_BYTES, textLineOfBytes } from "../io/line_reader.ts";
import type { ChunkBuffers } from "./chunk_buffers.ts";
import type { SourceChunk } from "./ordered_recording.ts";

/** What the chunks need of one message. */
export interface ChunkMessage<H> {
  /** Its bytes: one snapshot line, without a line end. */
  readonly data: Uint8Array;
  /** Its number in reports and dead letters (a stream sequence). */
  readonly number: number;
  /** What to pass on once its record is with the sink (its ack subject, say). */
  readonly handle: H;
}

/** Options of {@linkcode messageChunks}. */
export interface MessageChunkOptions<H> {
  /** Where chunk buffers come from (and, through the workers, go back to). */
  readonly buffers: ChunkBuffers;
  /** Bytes after which a chunk is cut. */
  readonly chunkBytes: number;
  /** Called with the handles of a chunk's messages, in order, once its records are written. */
  readonly onWritten: (handles: readonly H[]) => void;
  /**
   * The longest line the workers are given (theirs, `DEFAULT_MAX_LINE_BYTES` unless told); a
   * longer message is judged whole on the main thread.
   */
  readonly maxLineBytes?: number;
  /**
   * True when the next message is ready at once (the source has it queued), so no turn of the
   * event loop is spent to see whether one comes; default: always looked for.
   */
  readonly nextReady?: () => boolean;
}

const LF = 0x0a;
const CR = 0x0d;
const IDLE = Symbol("idle");
/**
 * The typed array's own search: a message's bytes are often a Node `Buffer`, whose `indexOf`
 * (strings, encodings) took about three times as long on a snapshot.
 */
const indexOfByte = Uint8Array.prototype.indexOf;

/**
 * True when `data` cannot be one line among others: it holds a line end, starts with a BOM, or
 * is longer than a worker takes a line (`maxLineBytes`; one thread records a message of any size).
 */
function apart(data: Uint8Array, maxLineBytes: number): boolean {
  return data.length > maxLineBytes || indexOfByte.call(data, LF) >= 0 ||
    indexOfByte.call(data, CR) >= 0 ||
    (data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf);
}

/**
 * Yields the chunks of `messages` (see the module notes), each message seen through `view`.
 *
 * @example
 * ```ts
 * import { messageChunks } from "./message_chunks.ts";
 * import { ChunkBuffers } from "./chunk_buffers.ts";
 * const data = new TextEncoder().encode("{}");
 * const messages = [{ data, number: 7, handle: "ack-7" }];
 * const chunks = messageChunks(ReadableStream.from(messages), (m) => m, {
 *   buffers: new ChunkBuffers(4, 1024),
 *   chunkBytes: 1024,
 *   onWritten: (handles) => console.log(handles),
 * });
 * for await (const chunk of chunks) chunk.numbers; // => [7]
 * ```
 */
export async function* messageChunks<M, H>(
  messages: AsyncIterable<M>,
  view: (message: M) => ChunkMessage<H>,
  options: MessageChunkOptions<H>,
): AsyncGenerator<SourceChunk> {
  const { buffers, chunkBytes } = options;
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  let buffer = buffers.input(chunkBytes);
  let used = 0;
  let numbers: number[] = [];
  let handles: H[] = [];
  const cut = (): SourceChunk => {
    const taken = handles;
    const chunk: SourceChunk = {
      kind: "lines",
      bytes: buffer.subarray(0, used),
      startOfInput: false,
      endOfInput: false,
      numbers,
      written: () => options.onWritten(taken),
    };
    buffer = buffers.input(chunkBytes);
    used = 0;
    numbers = [];
    handles = [];
    return chunk;
  };
  const iterator = messages[Symbol.asyncIterator]();
  try {
    let next = iterator.next();
    next.catch(() => {}); // awaited below; not an unhandled rejection while a chunk is out
    while (true) {
      // A chunk is started: cut it when no message is ready before the next turn of the loop.
      const result = used === 0 || options.nextReady?.() ? await next : await nextOrIdle(next);
      if (result === IDLE) {
        yield cut();
        continue;
      }
      if (result.done) break;
      next = iterator.next();
      next.catch(() => {});
      const { data, number, handle } = view(result.value);
      if (apart(data, maxLineBytes)) {
        if (used > 0) yield cut();
        yield {
          kind: "line",
          line: textLineOfBytes(data, 1),
          numbers: [number],
          written: () => options.onWritten([handle]),
        };
        continue;
      }
      if (used > 0 && used + data.length + 1 > buffer.length) yield cut();
      if (data.length + 1 > buffer.length) {
        buffers.keepInput(buffer);
        buffer = buffers.input(data.length + 1);
      }
      buffer.set(data, used);
      buffer[used + data.length] = LF;
      used += data.length + 1;
      numbers.push(number);
      handles.push(handle);
      if (used >= chunkBytes) yield cut();
    }
    if (used > 0) yield cut();
    else buffers.keepInput(buffer);
  } finally {
    // Not awaited: an iterator with a `next()` still pending (a quiet stream) would make this
    // wait for its next message; it ends when its owner stops it.
    void Promise.resolve(iterator.return?.()).catch(() => {});
  }
}

/** `next`'s result, or {@linkcode IDLE} when it has not come by the next turn of the event loop. */
async function nextOrIdle<T>(next: Promise<T>): Promise<T | typeof IDLE> {
  let timer: ReturnType<typeof setImmediate> | undefined;
  const idle = new Promise<typeof IDLE>((resolve) => {
    timer = setImmediate(() => resolve(IDLE));
  });
  const result = await Promise.race([next, idle]);
  clearImmediate(timer);
  return result;
}
