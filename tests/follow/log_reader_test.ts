/**
 * The log reader against a log written while it reads: lines appended in arbitrary byte pieces
 * (cut inside lines and inside multi-byte characters), some longer than a chunk, across rotated
 * files, with reads in between. It must give every whole line once, in order, at the right
 * positions, and a reader started at any chunk's end (a checkpoint) must go on the same way.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import fc from "fast-check";
import { type LogChunk, type LogPosition, LogReader } from "../../src/follow/log_reader.ts";
import { removeTempDir, tempDir } from "../helpers/temp.ts";

const FILES = ["observer_20260126_0315.jsonl", "observer_20260126_0316.jsonl"];

/** One step of the writer: append bytes to the current file, move to the next file, or read. */
type Step = { append: number } | { rotate: true } | { read: true };

const lineArb = fc.oneof(
  { weight: 6, arbitrary: fc.string({ maxLength: 40, unit: "grapheme" }) },
  { weight: 1, arbitrary: fc.string({ minLength: 60, maxLength: 300, unit: "binary-ascii" }) },
).map((text) => JSON.stringify({ text })); // JSON escapes line ends: one line per record

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: 1, max: 90 }).map((append) => ({ append })) },
  { weight: 1, arbitrary: fc.constant({ rotate: true as const }) },
  { weight: 4, arbitrary: fc.constant({ read: true as const }) },
);

/** The lines of every chunk a reader gives until it has nothing more for now. */
async function drain(reader: LogReader, into: string[], ends: LogPosition[]): Promise<void> {
  for (let chunk: LogChunk | undefined; (chunk = await reader.next()) !== undefined;) {
    for (const line of chunk.lines) {
      assert.equal(line.problem, undefined);
      into.push(line.text);
    }
    ends.push(chunk.end);
  }
}

Deno.test("log reader: a log appended in arbitrary pieces while it is read (cut inside lines and characters, across rotation) gives every whole line once, in order; a reader started at any chunk's end goes on the same (property)", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(lineArb, { minLength: 1, maxLength: 40 }),
      fc.array(stepArb, { maxLength: 60 }),
      fc.integer({ min: 16, max: 128 }),
      async (lines, steps, chunkBytes) => {
        const dir = await tempDir("log-reader");
        try {
          const log = { dir, base: "observer" };
          const bytes = new TextEncoder().encode(lines.map((l) => l + "\n").join(""));
          const reader = new LogReader(log, undefined, { chunkBytes });
          const read: string[] = [];
          const ends: LogPosition[] = [];
          let written = 0;
          let file = 0;
          const append = async (count: number) => {
            const piece = bytes.subarray(written, Math.min(bytes.length, written + count));
            await Deno.writeFile(join(dir, FILES[file]), piece, { append: true });
            written += piece.length;
          };
          await append(0); // the first file exists from the start
          for (const step of steps) {
            if ("append" in step) await append(step.append);
            else if ("read" in step) await drain(reader, read, ends);
            else if (file + 1 < FILES.length && (written === 0 || bytes[written - 1] === 0x0a)) {
              file++; // the writer moves on only after a whole line
              await append(0);
            }
          }
          await append(bytes.length);
          await drain(reader, read, ends);
          reader.close();
          assert.deepEqual(read, lines);
          // Resuming at a checkpoint: the rest of the lines, exactly.
          let before = 0;
          for (const end of ends) {
            using resumed = new LogReader(log, end, { chunkBytes });
            const rest: string[] = [];
            await drain(resumed, rest, []);
            before = lines.length - rest.length;
            assert.deepEqual(rest, lines.slice(before));
          }
          assert.equal(before, lines.length);
        } finally {
          await removeTempDir(dir);
        }
      },
    ),
    { numRuns: 60 },
  );
});
