/**
 * Promises on a batching queue's state, so that nobody polls it: "room for this many bytes"
 * (or that the destination is failing while the queue is that full) and "drained" (nothing
 * queued or in flight). The queue tells every change of what it holds with
 * {@linkcode QueueWaiters.changed}; each waiter is checked in constant time, and a waiter whose
 * signal aborts is let go at once.
 *
 * @module
 */

/** What the queue holds now, as the waiters see it. */
export interface QueueLevel {
  /** Bytes queued plus in flight. */
  readonly pending: number;
  /** The bound of queued plus in-flight bytes. */
  readonly maxBytes: number;
  /** True while the destination is failing. */
  readonly failing: boolean;
  /** True once the queue is closed or unblocked: nobody waits any more. */
  readonly released: boolean;
}

interface RoomWaiter {
  readonly need: number;
  readonly resolve: (room: boolean) => void;
}

/**
 * The waiters of one queue.
 *
 * @example
 * ```ts
 * import { QueueWaiters } from "./queue_waiters.ts";
 * const waiters = new QueueWaiters();
 * const level = { pending: 100, maxBytes: 100, failing: false, released: false };
 * const room = waiters.room(10, level);
 * waiters.changed({ ...level, pending: 50 });
 * await room; // true
 * ```
 */
export class QueueWaiters {
  readonly #room = new Set<RoomWaiter>();
  readonly #drained = new Set<() => void>();
  /** Flushes waiting for the next batch settled (or drain ended). */
  #progress: (() => void)[] = [];

  /** True while someone waits (for room, or for the queue drained). */
  get waiting(): boolean {
    return this.#room.size > 0 || this.#drained.size > 0;
  }

  /** True while someone waits for room. */
  get waitingForRoom(): boolean {
    return this.#room.size > 0;
  }

  /**
   * Resolves `true` once `need` bytes (at most `maxBytes`) fit beside what is pending (or the
   * queue is closed or unblocked), `false` when the destination is failing while they do not
   * fit; rejects with the reason of `signal` when it aborts first.
   */
  room(need: number, level: QueueLevel, signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const bytes = Math.min(need, level.maxBytes);
    const now = roomNow(bytes, level);
    if (now !== undefined) return Promise.resolve(now);
    return this.#wait(signal, (resolve) => {
      const waiter = { need: bytes, resolve };
      this.#room.add(waiter);
      return () => this.#room.delete(waiter);
    });
  }

  /**
   * Resolves once nothing is queued or in flight (or the queue is closed); rejects with the
   * reason of `signal` when it aborts first.
   */
  drained(level: QueueLevel, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (level.pending === 0 || level.released) return Promise.resolve();
    return this.#wait(signal, (resolve) => {
      const waiter = () => resolve();
      this.#drained.add(waiter);
      return () => this.#drained.delete(waiter);
    });
  }

  /** Resolves at the next {@linkcode QueueWaiters.progressed}. */
  progress(): Promise<void> {
    return new Promise((resolve) => this.#progress.push(resolve));
  }

  /** A batch settled or a drain ended: wakes every {@linkcode QueueWaiters.progress}. */
  progressed(): void {
    if (this.#progress.length === 0) return;
    const waiters = this.#progress;
    this.#progress = [];
    for (const resolve of waiters) resolve();
  }

  /** What the queue holds changed: wakes each waiter whose wait is over. */
  changed(level: QueueLevel): void {
    for (const waiter of this.#room) {
      const room = roomNow(waiter.need, level);
      if (room === undefined) continue;
      this.#room.delete(waiter);
      waiter.resolve(room);
    }
    if (this.#drained.size > 0 && (level.pending === 0 || level.released)) {
      const waiters = [...this.#drained];
      this.#drained.clear();
      for (const resolve of waiters) resolve();
    }
  }

  /** A promise settled by `enter`'s resolve, or rejected when `signal` aborts. */
  #wait<V>(
    signal: AbortSignal | undefined,
    enter: (resolve: (value: V) => void) => () => void,
  ): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      const onAbort = () => {
        leave();
        reject(signal!.reason);
      };
      const leave = enter((value) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(value);
      });
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}

/** `true` when `need` bytes fit now (or nobody waits any more), `false` when failing, else undefined. */
function roomNow(need: number, level: QueueLevel): boolean | undefined {
  if (level.released || level.pending + need <= level.maxBytes) return true;
  if (level.failing) return false;
  return undefined;
}

/**
 * Producers held by a full queue under `block`: one promise for all of them, settled when the
 * queue lets them go. While it is pending a referenced timer keeps the process alive (the
 * queue's own timers are unref'd, and a process must not end with a producer pending).
 *
 * @example
 * ```ts
 * import { ProducerGate } from "./queue_waiters.ts";
 * const gate = new ProducerGate();
 * const held = gate.hold();
 * gate.open();
 * await held;
 * ```
 */
export class ProducerGate {
  #held: { promise: Promise<void>; resolve: () => void } | undefined;

  /** True while producers are held. */
  get holding(): boolean {
    return this.#held !== undefined;
  }

  /** The promise a producer waits on. */
  hold(): Promise<void> {
    if (this.#held === undefined) {
      const { promise, resolve } = Promise.withResolvers<void>();
      const keepAlive = setInterval(() => {}, 2 ** 30);
      this.#held = {
        promise,
        resolve: () => {
          clearInterval(keepAlive);
          resolve();
        },
      };
    }
    return this.#held.promise;
  }

  /** Lets every held producer go on. */
  open(): void {
    this.#held?.resolve();
    this.#held = undefined;
  }
}
