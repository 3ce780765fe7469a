/**
 * Streaming line reader: splits a byte stream into UTF-8 text lines with constant memory
 * (beyond the longest line), whatever the stream's size.
 *
 * @module
 */

/** One line of a stream. */
export interface TextLine {
  /** The line without its `\n` (and without a trailing `\r`). */
  readonly text: string;
  /** 1-based line number. */
  readonly number: number;
  /** False for a last line that ended without `\n` (a writer's torn leftover, maybe). */
  readonly terminated: boolean;
}

/** Limits of {@linkcode readLines}. */
export interface LineReaderOptions {
  /** Longest line accepted, in UTF-16 code units; longer lines throw. Default 64 MiB. */
  readonly maxLineLength?: number;
  /** Called with the byte count of every chunk read (for progress bars). */
  readonly onBytes?: (bytes: number) => void;
  /** Cancels the stream when aborted, even during a pending read; the lines then end. */
  readonly signal?: AbortSignal;
}

/** Default of {@linkcode LineReaderOptions.maxLineLength}. */
export const DEFAULT_MAX_LINE_LENGTH = 64 * 1024 * 1024;

/**
 * Yields the lines of a UTF-8 byte stream. Multi-byte characters split across chunks are
 * decoded correctly; invalid bytes become U+FFFD. A final line without `\n` is yielded with
 * `terminated: false`.
 *
 * @example
 * ```ts
 * using file = await Deno.open("data/observer/observer.jsonl");
 * for await (const line of readLines(file.readable)) console.log(line.number, line.text);
 * ```
 */
export async function* readLines(
  stream: ReadableStream<Uint8Array>,
  options: LineReaderOptions = {},
): AsyncGenerator<TextLine> {
  const maxLineLength = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
  const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: false });
  let carry = "";
  let number = 0;
  const reader = stream.getReader();
  const cancel = () => void reader.cancel().catch(() => {});
  options.signal?.addEventListener("abort", cancel, { once: true });
  try {
    while (true) {
      if (options.signal?.aborted) return;
      const { done, value: chunk } = await reader.read();
      if (done) break;
      options.onBytes?.(chunk.byteLength);
      const text = carry + decoder.decode(chunk, { stream: true });
      let start = 0;
      let end = text.indexOf("\n");
      while (end >= 0) {
        number++;
        yield { text: stripCr(text.slice(start, end)), number, terminated: true };
        start = end + 1;
        end = text.indexOf("\n", start);
      }
      carry = start === 0 ? text : text.slice(start);
      if (carry.length > maxLineLength) {
        const next = number + 1;
        throw new RangeError(
          `line ${next}: expected a line of at most ${maxLineLength} characters, got a longer one`,
        );
      }
    }
  } finally {
    options.signal?.removeEventListener("abort", cancel);
    reader.releaseLock();
  }
  if (options.signal?.aborted) return;
  carry += decoder.decode();
  if (carry.length > 0) {
    number++;
    yield { text: stripCr(carry), number, terminated: false };
  }
}

function stripCr(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}
