/**
 * The publish acks of the batches a writer has in flight: one window of publishes shared by
 * consecutive batches (the next batch publishes while the last acks of the one before come in),
 * each batch waiting for its own acks, one watchdog for all of them, and a failure of one batch
 * failing every batch in flight (the caller sends them all again, in order).
 *
 * @module
 */

import type { PubAckCallback } from "./pub_ack_inbox.ts";

/** The acks one batch waits for. */
export class BatchAcks {
  /** Publishes of this batch sent and not answered yet. */
  outstanding = 0;
  /** This batch's failure (its own, or that of a batch before it), if any. */
  error: Error | undefined;
  /** The ack tokens of the batch's first and last publish (for `PubAckInbox.forget`). */
  first = -1;
  /** See {@linkcode first}. */
  last = -1;
  /** The callback of each publish of this batch (one closure per batch, not per message). */
  readonly answer: PubAckCallback;
  #settled: (() => void) | undefined;

  /** Acks counted in `window`. */
  constructor(window: SharedAckWindow) {
    this.answer = (outcome) => {
      this.outstanding--;
      window.answered(outcome.ok ? undefined : outcome.error, outcome.ok && outcome.duplicate);
      if (this.outstanding === 0) this.#wake();
    };
  }

  /** Resolves once every publish of the batch was answered, or the batch failed. */
  settled(): Promise<void> {
    if (this.outstanding === 0 || this.error !== undefined) return Promise.resolve();
    return new Promise<void>((resolve) => this.#settled = resolve);
  }

  /** Fails the batch (the first failure stays). */
  fail(error: Error): void {
    this.error ??= error;
    this.#wake();
  }

  #wake(): void {
    const resolve = this.#settled;
    this.#settled = undefined;
    resolve?.();
  }
}

/**
 * At most `size` publishes waiting for their acks, over every batch in flight.
 *
 * @example
 * ```ts
 * import { SharedAckWindow } from "./batch_acks.ts";
 * const window = new SharedAckWindow(256, 5000);
 * const acks = window.begin();
 * window.sent(acks); // a publish of the batch went out
 * acks.answer({ ok: true, duplicate: false });
 * window.end(acks);
 * ```
 */
export class SharedAckWindow {
  /** Publishes answered as duplicates (messages the stream already had). */
  duplicates = 0;
  readonly #size: number;
  readonly #refillAt: number;
  readonly #timeoutMs: number;
  readonly #active = new Set<BatchAcks>();
  #out = 0;
  /** Acks so far: the watchdog fails the batches when this stands still too long. */
  #answers = 0;
  #room: (() => void) | undefined;
  #failure: Error | undefined;
  #watchdog: ReturnType<typeof setInterval> | undefined;

  /** `size` publishes out at most; `timeoutMs` with none answered fails every batch out. */
  constructor(size: number, timeoutMs: number) {
    this.#size = size;
    // Once full, publishing waits until a quarter of the window is free (fewer wake-ups).
    this.#refillAt = size - Math.max(1, Math.floor(size / 4));
    this.#timeoutMs = timeoutMs;
  }

  /**
   * A batch starts: its acks. A batch started while an earlier one failed and has not ended
   * fails at once (it is sent again after it).
   */
  begin(): BatchAcks {
    const acks = new BatchAcks(this);
    if (this.#active.size === 0) this.#failure = undefined;
    if (this.#failure !== undefined) acks.fail(this.#failure);
    this.#active.add(acks);
    this.#watchdog ??= this.#watch();
    return acks;
  }

  /**
   * A batch ended (settled or not; the callbacks of its publishes forgotten first): it no longer
   * counts, nor do its publishes still unanswered (lost with a connection, say).
   */
  end(acks: BatchAcks): void {
    this.#active.delete(acks);
    this.#out -= acks.outstanding;
    acks.outstanding = 0;
    if (acks.error !== undefined) this.#failAll(acks.error);
    if (this.#active.size === 0) {
      clearInterval(this.#watchdog);
      this.#watchdog = undefined;
    }
  }

  /** True when no publish may go out until acks come in. */
  get full(): boolean {
    return this.#out >= this.#size;
  }

  /**
   * Resolves once a quarter of the window is free (or the batch of `acks` failed). Only await
   * it when {@linkcode full}: publishing should not yield for each message.
   */
  async room(acks: BatchAcks): Promise<void> {
    while (this.#out > this.#refillAt && acks.error === undefined) {
      await new Promise<void>((resolve) => this.#room = resolve);
    }
  }

  /** A publish of `acks`'s batch went out. */
  sent(acks: BatchAcks): void {
    this.#out++;
    acks.outstanding++;
  }

  /** A publish was answered: acked (`duplicate` when the stream had it), or refused. */
  answered(error: Error | undefined, duplicate: boolean): void {
    this.#out--;
    this.#answers++;
    if (error !== undefined) this.#failAll(error);
    else if (duplicate) this.duplicates++;
    if (this.#out <= this.#refillAt) this.#wakeRoom();
  }

  /** Fails every batch in flight: after a refused or lost publish all are sent again. */
  #failAll(error: Error): void {
    this.#failure ??= error;
    for (const acks of this.#active) acks.fail(this.#failure);
    this.#wakeRoom();
  }

  #wakeRoom(): void {
    const resolve = this.#room;
    this.#room = undefined;
    resolve?.();
  }

  /** One timer for all batches: fails them when publishes are out and no ack came in time. */
  #watch(): ReturnType<typeof setInterval> {
    let seen = this.#answers;
    let since = performance.now();
    return setInterval(() => {
      const now = performance.now();
      if (this.#out === 0 || this.#answers !== seen) {
        seen = this.#answers;
        since = now;
      } else if (now - since >= this.#timeoutMs) {
        this.#failAll(new Error(`no publish ack from NATS within ${this.#timeoutMs} ms`));
      }
    }, Math.max(10, Math.min(250, this.#timeoutMs / 4)));
  }
}
