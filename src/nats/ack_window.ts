/**
 * The publishes of one batch awaiting their JetStream acks: which items were acked, how many
 * publishes are out, the batch's first failure, a wait for the number out to fall, and the
 * watchdog that fails the batch when no ack comes for too long.
 *
 * @module
 */

/** Acks of one batch, by item index. */
export class AckWindow {
  /** Publishes sent and not yet answered. */
  outstanding = 0;
  /** The batch's first failure, if any: the publishing stops. */
  error: unknown;
  #acked: Uint8Array;
  #lastAck = performance.now();
  #wakeAt = 0;
  #room: (() => void) | undefined;

  /** Room for `items` acks to begin with (it grows). */
  constructor(items: number) {
    this.#acked = new Uint8Array(Math.max(1024, items));
  }

  /** Item `i` needs no ack (it was acked, or refused before publishing). */
  markDone(i: number): void {
    if (i >= this.#acked.length) {
      const grown = new Uint8Array(Math.max(i + 1, this.#acked.length * 2));
      grown.set(this.#acked);
      this.#acked = grown;
    }
    this.#acked[i] = 1;
  }

  /** The first index from `from` (below `to`) not acked yet: the end of the acked prefix. */
  prefixEnd(from: number, to: number): number {
    let done = from;
    while (done < to && done < this.#acked.length && this.#acked[done] === 1) done++;
    return done;
  }

  /** A publish went out. */
  sent(): void {
    if (this.outstanding === 0) this.#lastAck = performance.now();
    this.outstanding++;
  }

  /** The publish of item `i` was answered: acked, or failed with `error`. */
  answered(i: number, error?: unknown): void {
    this.outstanding--;
    this.#lastAck = performance.now();
    if (error === undefined) this.markDone(i);
    else this.error ??= error;
    if (this.outstanding <= this.#wakeAt || this.error !== undefined) this.#wake();
  }

  /** Resolves once at most `count` publishes are out, or the batch failed. */
  until(count: number): Promise<void> {
    this.#wakeAt = count;
    return new Promise<void>((resolve) => this.#room = resolve);
  }

  /**
   * Fails the batch when no ack came for `timeoutMs` while publishes are out (one timer for the
   * whole batch); returns the timer, for `clearInterval`.
   */
  watch(timeoutMs: number): ReturnType<typeof setInterval> {
    return setInterval(() => {
      if (this.outstanding === 0 || performance.now() - this.#lastAck < timeoutMs) return;
      this.error ??= new Error(`no publish ack from NATS within ${timeoutMs} ms`);
      this.#wake();
    }, Math.max(10, Math.min(250, timeoutMs / 4)));
  }

  #wake(): void {
    const resolve = this.#room;
    this.#room = undefined;
    resolve?.();
  }
}
