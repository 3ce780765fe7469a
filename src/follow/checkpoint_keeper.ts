/**
 * A follower's checkpoint in memory and on disk: moved forward after each acknowledged batch and
 * written in the background while the next batch is delivered, one write at a time and in order,
 * so the destination's round trips and the checkpoint's fsync overlap instead of adding up.
 *
 * @module
 */

import { type Checkpoint, writeCheckpoint } from "./checkpoint.ts";

/**
 * Holds one follower's checkpoint and writes it.
 *
 * @example
 * ```ts
 * import { CheckpointKeeper } from "./checkpoint_keeper.ts";
 * import type { Checkpoint } from "./checkpoint.ts";
 * declare const start: Checkpoint;
 * declare const next: Checkpoint;
 * const keeper = new CheckpointKeeper("/tmp/o.follow.db.checkpoint.json", start, console.error);
 * keeper.advance(next);
 * await keeper.save(); // waits for the write before it, starts this one
 * await keeper.settle(); // everything advanced is on disk
 * ```
 */
export class CheckpointKeeper {
  /** The checkpoint file. */
  readonly path: string;
  #current: Checkpoint;
  /** True when the checkpoint moved since it was last handed to a write. */
  #dirty = false;
  /** The write under way, if any. */
  #writing: Promise<void> | undefined;
  readonly #onError: (error: unknown) => void;

  /** Starts at `checkpoint`; `onError` hears of each write that fails (the next one retries). */
  constructor(path: string, checkpoint: Checkpoint, onError: (error: unknown) => void) {
    this.path = path;
    this.#current = checkpoint;
    this.#onError = onError;
  }

  /** The checkpoint as advanced so far (maybe not written yet). */
  get current(): Checkpoint {
    return this.#current;
  }

  /** Moves the checkpoint forward (written by the next {@linkcode save} or {@linkcode settle}). */
  advance(checkpoint: Checkpoint): void {
    this.#current = checkpoint;
    this.#dirty = true;
  }

  /** Waits for the write under way, then starts writing the checkpoint as it is now. */
  async save(): Promise<void> {
    await this.#writing;
    this.#writing = this.#write();
  }

  /** Waits until everything advanced so far is written (or failed to be). */
  async settle(): Promise<void> {
    await this.save();
    await this.#writing;
  }

  async #write(): Promise<void> {
    if (!this.#dirty) return;
    this.#dirty = false;
    try {
      await writeCheckpoint(this.path, this.#current);
    } catch (error) {
      this.#onError(error);
    }
  }
}
