/**
 * The writer of ordered parallel recording: it takes the chunks' verdicts strictly in input
 * order, as soon as each is in, reports and dead-letters the lines that did not become records
 * (with their line numbers in the whole input), tallies them in the Observer, and appends the
 * encoded records to the sink. Producers wait for room (`waitForRoom`), which is how the sink's
 * backpressure reaches the reader.
 *
 * @module
 */

import type { TextLine } from "../io/line_reader.ts";
import type { InputFormat } from "../sources/snapshot_inputs.ts";
import type { SnapshotLine } from "../sources/snapshot_lines.ts";
import type { ChunkVerdict } from "./chunk_judge.ts";
import type { ChunkBuffers } from "./chunk_buffers.ts";
import type { Logger } from "../log/logging.ts";
import type { JudgedElsewhere } from "../observer/observer.ts";
import type { JudgeSettings } from "../observer/snapshot_judge.ts";
import type { BadLine } from "../records/record_reader.ts";
import type { EncodedLines } from "../sinks/queued_lines.ts";
import type { RecordLinesOptions } from "../sources/record_snapshots.ts";

/** Where parallel recording puts what the workers made. */
export interface ParallelTarget {
  /** Number of workers (2 or more; 1 is the single-thread path). */
  readonly workers: number;
  /** How the workers judge and stamp snapshots (the Observer's own settings). */
  readonly judge: JudgeSettings;
  /** Counts and logs what the workers judged (the pipeline's Observer). */
  readonly observer: { tally(judged: JudgedElsewhere): void };
  /** Appends encoded records (the pipeline's one JSONL sink). */
  readonly sink: { writeEncoded(lines: EncodedLines): void | Promise<void> };
}

/**
 * The records of one chunk as they are accepted, handed to {@linkcode VerdictWriterOptions.onChunk}
 * just before they go to the sink, in input order.
 */
export interface AcceptedChunk {
  /** The records' JSON lines, each ending in `\n`; valid only during the call (reused after). */
  readonly encoded: Uint8Array;
  /** Records in `encoded`. */
  readonly records: number;
  /**
   * The chunk's blocked snapshots, in input order, each with its record as JSON (when the run
   * asked for `blockedRecords`) and the number of records of `encoded` that came before it.
   */
  readonly blocked: readonly { readonly recordsBefore: number; readonly record?: string }[];
}

/** What the writer is told of the input, and whom it tells what it wrote. */
export interface VerdictWriterOptions {
  /** How to read the lines. Default `auto` (settled by the first non-blank line). */
  readonly format?: InputFormat;
  /** Called once the format is settled. */
  readonly onFormat?: (format: Exclude<InputFormat, "auto">) => void;
  /** Called for a torn last line of a record file. */
  readonly onTornTail?: (bad: BadLine) => void;
  /** Called for each line that is not a snapshot, with its line number in the input. */
  readonly onRejected?: RecordLinesOptions["onRejected"];
  /** Called, and awaited, for each rejected line and blocked snapshot, in input order. */
  readonly onDeadLetter?: RecordLinesOptions["onDeadLetter"];
  /** Receives one debug message per chunk written. */
  readonly logger?: Logger;
  /** Called with each chunk's records (and blocked ones) before they go to the sink. */
  readonly onChunk?: (chunk: AcceptedChunk) => void;
}

/** A verdict in flight, with its chunk's line numbers and note (see `SourceChunk`). */
export interface VerdictInFlight {
  readonly verdict: Promise<ChunkVerdict>;
  readonly numbers?: readonly number[];
  readonly written?: () => void;
}

/** What the race of a source's next chunk against {@linkcode VerdictWriter.failed} gives. */
export const WRITER_FAILED = Symbol("writer failed");

/** Writes the verdicts pushed to it, in the order pushed. */
export class VerdictWriter {
  /** Snapshots judged (recorded or blocked) and written so far. */
  snapshots = 0;
  /** Lines that were not snapshots, so far. */
  rejected = 0;
  /** Settles (never rejects) when the writer fails: a source's next chunk is not waited for. */
  readonly failed: Promise<typeof WRITER_FAILED>;
  readonly #target: ParallelTarget;
  readonly #buffers: ChunkBuffers;
  readonly #options: VerdictWriterOptions;
  readonly #inFlight: VerdictInFlight[] = [];
  #format: InputFormat;
  #settled: boolean;
  /** Lines before the next verdict to write. */
  #base = 0;
  /** The chunk being written, if any (it counts among those in flight). */
  #writing = 0;
  /** Set when the source has ended, or failed: the writer stops once the verdicts are written. */
  #sourceDone = false;
  /** The writer's failure, which stops the source too. */
  #failure: { error: unknown } | undefined;
  #fail: () => void = () => {};
  readonly #verdictReady = new Wakeup();
  readonly #roomMade = new Wakeup();
  readonly #running: Promise<void>;

  /** Starts writing; `options.format` is the format until a verdict settles it. */
  constructor(target: ParallelTarget, buffers: ChunkBuffers, options: VerdictWriterOptions) {
    this.#target = target;
    this.#buffers = buffers;
    this.#options = options;
    this.#format = options.format ?? "auto";
    this.#settled = this.#format !== "auto";
    if (this.#settled) options.onFormat?.(this.#format as Exclude<InputFormat, "auto">);
    this.failed = new Promise((resolve) => this.#fail = () => resolve(WRITER_FAILED));
    this.#running = this.#run();
  }

  /** The input's format: `auto` until the first verdict that settles it. */
  get format(): InputFormat {
    return this.#format;
  }

  /** Whether the format is settled (until then, each chunk is written before the next is sent). */
  get settled(): boolean {
    return this.#settled;
  }

  /** Throws the writer's failure, if it failed. */
  throwIfFailed(): void {
    if (this.#failure !== undefined) throw this.#failure.error;
  }

  /** Takes the next verdict, in input order. */
  push(entry: VerdictInFlight): void {
    this.#inFlight.push(entry);
    this.#verdictReady.wake();
  }

  /** Resolves once at most `free` verdicts are in flight; throws when the writer failed. */
  async waitForRoom(free: number): Promise<void> {
    while (this.#failure === undefined && this.#inFlight.length + this.#writing > free) {
      await this.#roomMade.wait();
    }
    this.throwIfFailed();
  }

  /**
   * The source is done: when it ended, what is in flight is written; when it failed, that is
   * given up on. Resolves once the writer stopped (it does not throw: see `throwIfFailed`).
   */
  async end(sourceEnded: boolean): Promise<void> {
    this.#sourceDone = true;
    if (!sourceEnded) this.#inFlight.length = 0;
    this.#verdictReady.wake();
    await this.#running;
  }

  // The writer takes each verdict as soon as it is in, in input order (a live source, such as
  // a consumer's messages, must not wait for later chunks to have its own written).
  async #run(): Promise<void> {
    try {
      while (true) {
        if (this.#inFlight.length === 0) {
          if (this.#sourceDone) return;
          await this.#verdictReady.wait();
          continue;
        }
        const oldest = this.#inFlight.shift()!;
        this.#writing = 1;
        await this.#write(await oldest.verdict, oldest.numbers, oldest.written);
        this.#writing = 0;
        this.#roomMade.wake();
      }
    } catch (error) {
      this.#failure = { error };
      this.#roomMade.wake();
      this.#fail();
    }
  }

  async #write(
    verdict: ChunkVerdict,
    numbers: readonly number[] | undefined,
    written: (() => void) | undefined,
  ): Promise<void> {
    const base = this.#base;
    const numberOf = (n: number) => numbers?.[n - 1] ?? base + n;
    if (!this.#settled && verdict.format !== undefined) {
      this.#settled = true;
      this.#format = verdict.format;
      this.#options.onFormat?.(verdict.format);
    }
    await this.#reportOutcomes(verdict, numberOf);
    this.#showChunk(verdict);
    await this.#writeRecords(verdict);
    if (verdict.tornTail !== undefined) {
      this.#options.onTornTail?.({ ...verdict.tornTail, line: numberOf(verdict.tornTail.line) });
    }
    this.#options.logger?.debug("Chunk of lines {first}-{last}: {records} record(s) written", {
      first: numberOf(1),
      last: numberOf(verdict.lines),
      records: verdict.records,
    });
    this.#base += verdict.lines;
    written?.();
  }

  /** Counts, tallies and dead-letters the lines of `verdict` that did not become records. */
  async #reportOutcomes(verdict: ChunkVerdict, numberOf: (n: number) => number): Promise<void> {
    const options = this.#options;
    for (const outcome of verdict.outcomes) {
      const source: TextLine = { ...outcome.source, number: numberOf(outcome.source.number) };
      const reason = outcome.reasons[0];
      // What the dead-letter writer needs of the line: its source, reason and format.
      const item: SnapshotLine = {
        ok: false,
        line: source.number,
        reason,
        source,
        format: outcome.format,
      };
      if (outcome.kind === "rejected") {
        this.rejected++;
        options.onRejected?.(source.number, outcome.reasons[0]);
      } else {
        this.snapshots++;
        this.#target.observer.tally({
          status: "blocked",
          runId: outcome.runId,
          blockedBy: outcome.blockedBy ?? "validation",
          reasons: outcome.reasons,
        });
      }
      await options.onDeadLetter?.(outcome.kind, item, outcome.reasons, outcome.runId);
    }
  }

  /** Hands the chunk's records to `onChunk` (the live view); a failure there is only logged. */
  #showChunk(verdict: ChunkVerdict): void {
    try {
      this.#options.onChunk?.({
        encoded: verdict.encoded,
        records: verdict.records,
        blocked: verdict.outcomes.filter((outcome) => outcome.kind === "blocked"),
      });
    } catch (error) {
      // Like a failing sink on the bus: reported, and the records still go to the file.
      this.#options.logger?.error("A chunk's records could not be shown live: {error}", {
        error: String(error),
      });
    }
  }

  /** Tallies the chunk's records and appends them to the sink (waiting when it is full). */
  async #writeRecords(verdict: ChunkVerdict): Promise<void> {
    if (verdict.records === 0) return;
    this.snapshots += verdict.records;
    this.#target.observer.tally({
      status: "dispatched",
      count: verdict.records,
      nonNumeric: verdict.nonNumeric,
    });
    const encoded = verdict.encoded;
    const pending = this.#target.sink.writeEncoded({
      bytes: encoded,
      count: verdict.records,
      release: () => this.#buffers.keepOutput(new Uint8Array(encoded.buffer as ArrayBuffer)),
    });
    if (pending !== undefined) await pending;
  }
}

/** Wakes whoever waits on it, or, when nobody does, the next one to wait. */
class Wakeup {
  #resolve: (() => void) | undefined;
  #pending = false;

  /** Resolves at the next {@linkcode Wakeup.wake} (at once when one came meanwhile). */
  wait(): Promise<void> {
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#resolve = resolve);
  }

  /** Wakes the waiter. */
  wake(): void {
    const resolve = this.#resolve;
    this.#resolve = undefined;
    if (resolve === undefined) this.#pending = true;
    else resolve();
  }
}
