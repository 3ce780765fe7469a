/**
 * What the line-writing sinks share: the exact UTF-8 size of a JSON line, a reusable encoder of
 * a batch of lines, and counting the whole lines in what a partial write handed over.
 *
 * @module
 */

import { utf8Length } from "../io/utf8.ts";

const encoder = new TextEncoder();
const scratch = new Uint8Array(256 * 1024);

/**
 * UTF-8 bytes of `line` plus its newline (native encoding into a scratch buffer: the fastest
 * exact count).
 *
 * @example
 * ```ts
 * import { lineBytes } from "./json_lines.ts";
 * lineBytes('{"s":"삼성"}'); // => 15
 * ```
 */
export function lineBytes(line: string): number {
  if (line.length * 3 > scratch.length) return utf8Length(line) + 1;
  return encoder.encodeInto(line, scratch).written + 1;
}

/**
 * Encodes batches of lines into one reused buffer (one batch is written at a time).
 *
 * @example
 * ```ts
 * import { LineBatchEncoder } from "./json_lines.ts";
 * const encoder = new LineBatchEncoder(1024);
 * encoder.encode(["{}", "[]"]); // the bytes of "{}\n[]\n"
 * ```
 */
export class LineBatchEncoder {
  readonly #minBytes: number;
  #buffer: Uint8Array | undefined;

  /** `minBytes`: the buffer's least size (a batch's usual size). */
  constructor(minBytes: number) {
    this.#minBytes = minBytes;
  }

  /**
   * UTF-8 bytes of the lines, each followed by `\n`. The result is a view of the reused buffer
   * when it fits: valid until the next call.
   */
  encode(lines: readonly string[]): Uint8Array {
    const text = lines.length === 1 ? lines[0] : lines.join("\n");
    if (this.#buffer === undefined || this.#buffer.length < text.length + 1) {
      this.#buffer = new Uint8Array(Math.max(text.length, this.#minBytes) + 64 * 1024);
    }
    const buffer = this.#buffer;
    const { read, written } = encoder.encodeInto(text, buffer);
    if (read === text.length && written < buffer.length) {
      buffer[written] = 0x0a;
      return buffer.subarray(0, written + 1);
    }
    return encoder.encode(text + "\n");
  }
}
