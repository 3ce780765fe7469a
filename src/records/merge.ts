/**
 * `observer.ts merge`: record files combined into one, ordered by event time
 * (`meta.timestamp_ms`) and then `run_id`, with exact duplicates by `run_id` dropped (the same
 * snapshot recorded twice, as a NATS redelivery does) — streaming, with memory bounded by the
 * number of sorted stretches, never by the size of the files.
 *
 * A file need not be sorted: a first pass cuts each file into its sorted stretches ("runs": a
 * record with an earlier event time than the one before it starts a new run; a redelivered batch
 * makes one), and the second pass merges all runs at once, each read from its own place in its
 * file (a run that starts late in a file is reached by reading the file from its start). Every
 * run holds one open file and one record in memory; more than {@linkcode MAX_MERGE_RUNS} runs are
 * refused before anything is written. The records of one event-time millisecond are held
 * together to be ordered by `run_id` (memory grows with the largest such group). Lines are
 * written exactly as they were read.
 *
 * @module
 */

import type { PatternRecord } from "../contract/pattern_record.ts";
import {
  type BadLine,
  inputName,
  openRecordInput,
  type RecordInput,
  type RecordLine,
  RecordReader,
} from "./record_reader.ts";

/** Most sorted stretches merged at once (each holds an open file). */
export const MAX_MERGE_RUNS = 256;

/** A sorted stretch of one file: lines `first` to `last`. */
interface Run {
  readonly file: RecordInput;
  readonly first: number;
  last: number;
}

/** What a merge did. */
export interface MergeResult {
  /** Records written. */
  readonly merged: number;
  /** Records dropped as duplicates of one already written (same `run_id`). */
  readonly duplicates: number;
  /** Sorted stretches found in the inputs (one per sorted file). */
  readonly runs: number;
  /** Lines that were not records (skipped), and torn last lines. */
  readonly badLines: readonly BadLine[];
}

/** Options of {@linkcode mergeRecordFiles}. */
export interface MergeOptions {
  /** Longest line read, in bytes. */
  readonly maxLineBytes?: number;
  /** Receives each line to write (its exact text, no line end), in order; may wait. */
  readonly write: (line: string) => void | Promise<void>;
}

/** Thrown when the inputs have more sorted stretches than can be merged at once. */
export class TooManyRunsError extends Error {
  /** Makes the error. */
  constructor(message: string) {
    super(message);
    this.name = "TooManyRunsError";
  }
}

interface Key {
  readonly time: number;
  readonly runId: string;
}

function keyOf(record: PatternRecord): Key {
  const meta = record.snapshot.meta;
  return { time: meta.timestamp_ms, runId: typeof meta.run_id === "string" ? meta.run_id : "" };
}

function compare(a: Key, b: Key): number {
  if (a.time !== b.time) return a.time < b.time ? -1 : 1;
  return a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0;
}

async function* readFile(
  input: RecordInput,
  maxLineBytes: number | undefined,
  onBad?: (bad: BadLine) => void,
): AsyncGenerator<RecordLine> {
  using file = await openRecordInput(input);
  const reader = new RecordReader(inputName(input), file.readable, {
    mode: "lenient",
    maxLineBytes,
    onBadLine: onBad,
  });
  yield* reader;
  if (reader.stats.tornTail !== undefined) onBad?.(reader.stats.tornTail);
}

/** Pass one: the sorted stretches of every file. */
async function findRuns(
  paths: readonly RecordInput[],
  maxLineBytes: number | undefined,
  badLines: BadLine[],
): Promise<Run[]> {
  const runs: Run[] = [];
  for (const path of paths) {
    let previous: Key | undefined;
    let run: Run | undefined;
    for await (const { line, record } of readFile(path, maxLineBytes, (b) => badLines.push(b))) {
      const key = keyOf(record);
      if (run === undefined || (previous !== undefined && key.time < previous.time)) {
        run = { file: path, first: line, last: line };
        runs.push(run);
        if (runs.length > MAX_MERGE_RUNS) {
          throw new TooManyRunsError(
            `expected inputs that are sorted by event time, or nearly: they hold more than ` +
              `${MAX_MERGE_RUNS} sorted stretches (the latest starts at ${
                inputName(path)
              }:${line}); ` +
              "merge fewer files at once, or those with fewer out-of-order records",
          );
        }
      }
      run.last = line;
      previous = key;
    }
  }
  return runs;
}

/** The records of one run, in order. */
async function* readRun(run: Run, maxLineBytes: number | undefined): AsyncGenerator<RecordLine> {
  for await (const item of readFile(run.file, maxLineBytes)) {
    if (item.line < run.first) continue;
    if (item.line > run.last) return;
    yield item;
  }
}

interface Head {
  readonly key: Key;
  readonly item: RecordLine;
  readonly run: AsyncGenerator<RecordLine>;
  readonly index: number;
}

/** A binary min-heap of run heads, by event time and then run index. */
class HeadHeap {
  readonly #items: Head[] = [];

  get size(): number {
    return this.#items.length;
  }

  push(head: Head): void {
    const items = this.#items;
    items.push(head);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.#less(items[parent], items[i])) break;
      [items[parent], items[i]] = [items[i], items[parent]];
      i = parent;
    }
  }

  pop(): Head {
    const items = this.#items;
    const top = items[0];
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      while (true) {
        const l = 2 * i + 1;
        const r = l + 1;
        let smallest = i;
        if (l < items.length && this.#less(items[l], items[smallest])) smallest = l;
        if (r < items.length && this.#less(items[r], items[smallest])) smallest = r;
        if (smallest === i) break;
        [items[smallest], items[i]] = [items[i], items[smallest]];
        i = smallest;
      }
    }
    return top;
  }

  peekTime(): number {
    return this.#items[0].key.time;
  }

  #less(a: Head, b: Head): boolean {
    return a.key.time < b.key.time || (a.key.time === b.key.time && a.index < b.index);
  }
}

/**
 * Merges `paths` (see the module notes), handing each line to write to `options.write`. Each
 * input is opened twice (once per pass): a {@linkcode RecordInput} that can be read only once
 * (standard input) must be copied to a file first.
 * Throws {@linkcode TooManyRunsError} before writing anything when the inputs are too disordered.
 *
 * @example
 * ```ts
 * import { mergeRecordFiles } from "./merge.ts";
 * const lines: string[] = [];
 * await mergeRecordFiles(["a.1.jsonl", "a.2.jsonl"], { write: (line) => void lines.push(line) });
 * ```
 */
export async function mergeRecordFiles(
  paths: readonly RecordInput[],
  options: MergeOptions,
): Promise<MergeResult> {
  const badLines: BadLine[] = [];
  const runs = await findRuns(paths, options.maxLineBytes, badLines);
  const heap = new HeadHeap();
  const advance = async (run: AsyncGenerator<RecordLine>, index: number) => {
    const next = await run.next();
    if (!next.done) heap.push({ key: keyOf(next.value.record), item: next.value, run, index });
  };
  await Promise.all(runs.map((run, index) => advance(readRun(run, options.maxLineBytes), index)));
  let merged = 0;
  let duplicates = 0;
  while (heap.size > 0) {
    // Every record of one event-time millisecond, ordered by run_id (stable), duplicates dropped.
    const time = heap.peekTime();
    const group: Head[] = [];
    while (heap.size > 0 && heap.peekTime() === time) {
      const head = heap.pop();
      group.push(head);
      await advance(head.run, head.index);
    }
    group.sort((a, b) => compare(a.key, b.key) || a.index - b.index);
    let last: Key | undefined;
    for (const head of group) {
      if (last !== undefined && head.key.runId !== "" && compare(head.key, last) === 0) {
        duplicates++;
        continue;
      }
      await options.write(head.item.source.text);
      merged++;
      last = head.key;
    }
  }
  return { merged, duplicates, runs: runs.length, badLines };
}
