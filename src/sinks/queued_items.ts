/**
 * The items of a batching queue, oldest first, and the batch in flight: each keeps the running
 * totals of its bytes and records, so that the queue's counters are read without walking it.
 *
 * @module
 */

/** Records in `items[start..end)`: one an item without `countOf`. */
export function countRange<T>(
  countOf: ((item: T) => number) | undefined,
  items: readonly T[],
  start: number,
  end: number,
): number {
  if (countOf === undefined) return Math.max(0, end - start);
  let n = 0;
  for (let i = start; i < end; i++) n += countOf(items[i]);
  return n;
}

/**
 * The queued items (not in flight), with their sizes, bytes and records.
 *
 * @example
 * ```ts
 * import { QueuedItems } from "./queued_items.ts";
 * const queue = new QueuedItems<string>(undefined);
 * queue.push("a", 2);
 * queue.take(1024, 100).items; // ["a"]
 * ```
 */
export class QueuedItems<T> {
  readonly #countOf: ((item: T) => number) | undefined;
  #items: T[] = [];
  /** `sizeOf` of each item, computed once. */
  #sizes: number[] = [];
  #head = 0;
  /** Bytes of the items queued. */
  bytes = 0;
  /** Records in the items queued. */
  records = 0;

  /** Items count `countOf` records each (one without it). */
  constructor(countOf: ((item: T) => number) | undefined) {
    this.#countOf = countOf;
  }

  /** Items queued. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Queues `item` of `size` holding `records` records. */
  push(item: T, size: number, records = 1): void {
    this.#items.push(item);
    this.#sizes.push(size);
    this.bytes += size;
    this.records += records;
  }

  /** Takes the oldest item out (the queue is not empty); returns it and its records. */
  shift(): { item: T; records: number } {
    const item = this.#items[this.#head];
    const records = this.#countOf === undefined ? 1 : this.#countOf(item);
    this.bytes -= this.#sizes[this.#head];
    this.records -= records;
    this.#advance(this.#head + 1);
    return { item, records };
  }

  /**
   * Takes the oldest items out, at most `maxItems`, until they hold `flushBytes` or more (one
   * at least when any is queued).
   */
  take(flushBytes: number, maxItems: number): Taken<T> {
    const start = this.#head;
    const stop = Math.min(this.#items.length, start + maxItems);
    let end = start;
    let bytes = 0;
    while (end < stop && bytes < flushBytes) bytes += this.#sizes[end++];
    const taken = {
      items: this.#items.slice(start, end),
      sizes: this.#sizes.slice(start, end),
      bytes,
      records: countRange(this.#countOf, this.#items, start, end),
    };
    this.bytes -= bytes;
    this.records -= taken.records;
    this.#advance(end);
    return taken;
  }

  /** Calls `fn` for each item queued, oldest first. */
  forEach(fn: (item: T) => void): void {
    for (let i = this.#head; i < this.#items.length; i++) fn(this.#items[i]);
  }

  /** Forgets every item. */
  clear(): void {
    this.#items = [];
    this.#sizes = [];
    this.#head = 0;
    this.bytes = 0;
    this.records = 0;
  }

  /** Drops items before `head`, compacting the array now and then. */
  #advance(head: number): void {
    this.#head = head;
    if (head === this.#items.length) {
      this.#items = [];
      this.#sizes = [];
      this.#head = 0;
    } else if (head > 4096 && head * 2 > this.#items.length) {
      this.#items = this.#items.slice(head);
      this.#sizes = this.#sizes.slice(head);
      this.#head = 0;
    }
  }
}

/** Items taken out of the queue, with their sizes and totals. */
export interface Taken<T> {
  /** The items, oldest first. */
  readonly items: T[];
  /** Their sizes. */
  readonly sizes: number[];
  /** Their bytes. */
  readonly bytes: number;
  /** Their records. */
  readonly records: number;
}

/**
 * The batch being written: its items, and how many at its start are already counted as written.
 *
 * @example
 * ```ts
 * import { InFlight, QueuedItems } from "./queued_items.ts";
 * const queue = new QueuedItems<string>(undefined);
 * queue.push("a", 2);
 * const inflight = new InFlight(queue.take(1024, 100), 1, undefined, undefined);
 * inflight.commit(1); // 1 record written
 * ```
 */
export class InFlight<T> {
  /** The items (committed ones read `undefined`). */
  readonly items: T[];
  /** Their sizes. */
  readonly sizes: number[];
  /** Size of the items not counted as written yet. */
  bytes: number;
  /** Records in the items not counted as written yet. */
  records: number;
  /** Items at the start already counted as written. */
  committed = 0;
  /** Place of `items[0]` among all items ever queued (1 for the first). */
  readonly first: number;
  readonly #countOf: ((item: T) => number) | undefined;
  readonly #onRelease: ((item: T) => void) | undefined;

  /** A batch of `taken`, whose first item is the `first` ever queued. */
  constructor(
    taken: Taken<T>,
    first: number,
    countOf: ((item: T) => number) | undefined,
    onRelease: ((item: T) => void) | undefined,
  ) {
    this.items = taken.items;
    this.sizes = taken.sizes;
    this.bytes = taken.bytes;
    this.records = taken.records;
    this.first = first;
    this.#countOf = countOf;
    this.#onRelease = onRelease;
  }

  /** True while some item is not counted as written. */
  get open(): boolean {
    return this.committed < this.items.length;
  }

  /** Counts the items up to `done` as written and lets go of them; returns their records. */
  commit(done: number): number {
    const start = this.committed;
    const end = Math.min(done, this.items.length);
    if (end <= start) return 0;
    const records = countRange(this.#countOf, this.items, start, end);
    this.records -= records;
    for (let i = start; i < end; i++) {
      this.bytes -= this.sizes[i];
      this.#onRelease?.(this.items[i]);
      this.items[i] = undefined as T;
    }
    this.committed = end;
    return records;
  }

  /**
   * Counts the items up to `done` as written (the write returned); returns their records and
   * the rest, still in flight (undefined when every item was written).
   */
  settle(done: number): [number, InFlight<T> | undefined] {
    const n = Math.max(this.committed, Math.min(done, this.items.length));
    const records = this.commit(n);
    if (n === this.items.length) return [records, undefined];
    const rest = new InFlight(
      {
        items: this.items.slice(n),
        sizes: this.sizes.slice(n),
        bytes: this.bytes,
        records: this.records,
      },
      this.first + n,
      this.#countOf,
      this.#onRelease,
    );
    return [records, rest];
  }

  /** Appends what `queue` gives up to `flushBytes` (and the batch's bound); returns how many. */
  extend(queue: QueuedItems<T>, flushBytes: number, maxItems: number): number {
    const taken = queue.take(flushBytes, Math.max(0, maxItems - this.items.length));
    for (let i = 0; i < taken.items.length; i++) {
      this.items.push(taken.items[i]);
      this.sizes.push(taken.sizes[i]);
    }
    this.bytes += taken.bytes;
    this.records += taken.records;
    return taken.items.length;
  }

  /** Lets go of every item not counted as written (given up on); returns their records. */
  release(): number {
    for (let i = this.committed; i < this.items.length; i++) this.#onRelease?.(this.items[i]);
    return this.records;
  }
}
