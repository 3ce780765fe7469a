/**
 * The practical limit's writer: lines gathered to 1 MiB, joined with newlines, encoded into one
 * reused buffer and written through one handle — the least work that produces a JSONL file.
 *
 * @module
 */

/** Writes lines in chunks of about 1 MiB (see the module notes). */
export class LineChunkWriter {
  readonly #file: { write(p: Uint8Array): Promise<number> };
  readonly #encoder = new TextEncoder();
  readonly #buffer = new Uint8Array(1024 * 1024 + 256 * 1024);
  #lines: string[] = [];
  #chars = 0;

  /** Writes to `file`. */
  constructor(file: { write(p: Uint8Array): Promise<number> }) {
    this.#file = file;
  }

  /** Adds one line (without its newline); writes when about 1 MiB is gathered. */
  async add(line: string): Promise<void> {
    this.#lines.push(line);
    this.#chars += line.length + 1;
    if (this.#chars >= 1024 * 1024) await this.finish();
  }

  /** Writes what is gathered. */
  async finish(): Promise<void> {
    if (this.#lines.length === 0) return;
    const text = this.#lines.join("\n");
    const { read, written } = this.#encoder.encodeInto(text, this.#buffer);
    this.#buffer[written] = 0x0a;
    const bytes = read === text.length
      ? this.#buffer.subarray(0, written + 1)
      : this.#encoder.encode(text + "\n");
    let off = 0;
    while (off < bytes.length) off += await this.#file.write(bytes.subarray(off));
    this.#lines = [];
    this.#chars = 0;
  }
}
