/**
 * The live stream of records (`GET /v1/stream`, Server-Sent Events): a sink on the service's bus
 * that keeps the last records in a bounded ring and fans them out to subscribers, each with its
 * own filter and a bounded buffer. Event ids are `<run>-<sequence number>`, the run naming this
 * hub (a start of the service); a client that reconnects with `Last-Event-ID` gets what it missed
 * while that is still in the ring, and an `event: gap` for what it cannot have (an id of another
 * run: the service restarted, and what the client missed is not in memory). A subscriber that does not
 * keep up is disconnected (counted), never buffered without bound.
 *
 * @module
 */

import type { PatternRecord } from "../contract/pattern_record.ts";
import type { AcceptedChunk } from "../parallel/ordered_recording.ts";
import type { QueueTimers } from "../sinks/batching_queue.ts";
import type { RecordPredicate } from "../sinks/record_filter.ts";
import type { Sink, SinkStats } from "../sinks/sink.ts";
import { HEARTBEAT_MS, StreamHeartbeat } from "./stream_heartbeat.ts";

/** Limits of a {@linkcode RecordStreamHub}. */
export interface StreamHubLimits {
  /** Records kept for resuming. Default 10,000. */
  readonly ringRecords: number;
  /** Bytes waiting for one subscriber before it is disconnected. Default 1 MiB. */
  readonly subscriberBytes: number;
  /** Subscribers at once (503 beyond). Default 256. */
  readonly maxSubscribers: number;
  /** Interval of the `: ping` comment sent to every subscriber, in ms. Default 15,000. */
  readonly heartbeatMs: number;
}

/** The default limits of the stream. */
export const STREAM_HUB_LIMITS: StreamHubLimits = {
  ringRecords: 10_000,
  subscriberBytes: 1024 * 1024,
  maxSubscribers: 256,
  heartbeatMs: HEARTBEAT_MS,
};

/** Options of a {@linkcode RecordStreamHub}: its limits, and the run its event ids name. */
export interface StreamHubOptions extends Partial<StreamHubLimits> {
  /**
   * Names this hub's events (`<run>-<seq>`); letters and digits. Default: random, so that ids
   * of a hub before a restart are told apart from this one's.
   */
  readonly run?: string;
}

/** Counters of the stream. */
export interface StreamHubStats {
  /** Subscribers connected now. */
  readonly subscribers: number;
  /** Subscribers disconnected because they did not keep up. */
  readonly slowDisconnects: number;
  /** Events sent. */
  readonly events: number;
}

interface RingEntry {
  readonly seq: number;
  /** The record's `metadata.guard.action` (a filter on it alone needs nothing more). */
  readonly action: string;
  /** The record; for one that came as its JSON line, parsed when a filter first needs it. */
  record?: PatternRecord;
  /** The record's JSON line, for one that came so (a view into a copy of its chunk). */
  readonly line?: Uint8Array;
  /** The whole event, encoded once for every subscriber that takes it. */
  event?: Uint8Array;
}

interface Subscriber {
  readonly filter: RecordPredicate;
  /** The guard actions it takes when its filter tests nothing else (then nothing is parsed). */
  readonly actions?: readonly string[];
  readonly controller: ReadableStreamDefaultController<Uint8Array>;
  /** Sequence number of the last event handed to this subscriber. */
  last: number;
  /** Let go of as slow: its stream is closed, nothing more is sent. */
  dropped?: boolean;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Fans records out to SSE subscribers.
 *
 * @example
 * ```ts
 * import { RecordStreamHub } from "./record_stream_hub.ts";
 * const hub = new RecordStreamHub();
 * const stream = hub.subscribe(() => true, undefined);
 * ```
 */
export class RecordStreamHub implements Sink {
  /** Name in logs and summaries. */
  readonly name = "stream";
  readonly #limits: StreamHubLimits;
  /** The last records, oldest at `#ringStart` (a circular buffer: no shifting). */
  readonly #ring: RingEntry[] = [];
  #ringStart = 0;
  readonly #subscribers = new Set<Subscriber>();
  #seq = 0;
  #slow = 0;
  #events = 0;
  #closed = false;
  readonly #heartbeat: StreamHeartbeat;
  /** The run this hub's event ids name. */
  readonly run: string;

  /** Starts with an empty ring; `heartbeatTimers` time the heartbeat (default: the global ones). */
  constructor(options: StreamHubOptions = {}, heartbeatTimers?: QueueTimers) {
    const { run, ...limits } = options;
    this.run = run ?? crypto.randomUUID().slice(0, 8);
    this.#limits = { ...STREAM_HUB_LIMITS, ...limits };
    this.#heartbeat = new StreamHeartbeat(
      this.#limits.heartbeatMs,
      () => [...this.#subscribers].map((s) => s.controller),
      heartbeatTimers,
    );
  }

  /** True when another subscriber may connect. */
  get hasRoom(): boolean {
    return !this.#closed && this.#subscribers.size < this.#limits.maxSubscribers;
  }

  /** True while a subscriber is connected. */
  get hasSubscribers(): boolean {
    return this.#subscribers.size > 0;
  }

  /** Keeps the record in the ring and sends it to every subscriber whose filter takes it. */
  write(record: PatternRecord): void {
    if (this.#closed) return;
    this.#add({ seq: ++this.#seq, action: record.metadata.guard.action, record });
  }

  /**
   * The records of a chunk recorded in parallel, in input order: its JSON lines, with the
   * records of its blocked snapshots among them where they came (a blocked snapshot without its
   * record is not shown). Each event is the line's bytes as they are, and a line is parsed only
   * for a subscriber whose filter tests more than the guard action. While no subscriber is
   * connected they are not kept: the sequence moves on past them and the ring is emptied, so a
   * client that resumes from before them gets `event: gap` rather than silently missing them.
   */
  writeChunk(chunk: AcceptedChunk): void {
    const count = chunk.records + chunk.blocked.length;
    if (this.#closed || count === 0) return;
    if (this.#subscribers.size === 0) {
      this.#seq += count;
      this.#ring.length = 0;
      this.#ringStart = 0;
      return;
    }
    const { blocked } = chunk;
    const encoded = chunk.encoded.slice(); // the chunk's buffer is reused once it is written
    let next = 0;
    let at = 0;
    for (let index = 0; index <= chunk.records; index++) {
      for (; next < blocked.length && blocked[next].recordsBefore === index; next++) {
        const json = blocked[next].record;
        if (json !== undefined) {
          this.#add({ seq: ++this.#seq, action: "BLOCK", line: encoder.encode(json) });
        }
      }
      if (index === chunk.records) break;
      const end = encoded.indexOf(0x0a, at);
      this.#add({ seq: ++this.#seq, action: "PASS", line: encoded.subarray(at, end) });
      at = end + 1;
    }
  }

  /** The event of `entry` (made on first use, then shared by every subscriber). */
  #eventOf(entry: RingEntry): Uint8Array {
    if (entry.event !== undefined) return entry.event;
    const head = `id: ${this.run}-${entry.seq}\nevent: record\ndata: `;
    if (entry.line === undefined) {
      return entry.event = encoder.encode(`${head}${JSON.stringify(entry.record)}\n\n`);
    }
    const start = encoder.encode(head);
    const event = new Uint8Array(start.length + entry.line.length + 2);
    event.set(start);
    event.set(entry.line, start.length);
    event[event.length - 2] = event[event.length - 1] = 0x0a;
    return entry.event = event;
  }

  #add(entry: RingEntry): void {
    if (this.#ring.length < this.#limits.ringRecords) this.#ring.push(entry);
    else {
      this.#ring[this.#ringStart] = entry;
      this.#ringStart = (this.#ringStart + 1) % this.#ring.length;
    }
    for (const subscriber of this.#subscribers) this.#send(subscriber, entry);
  }

  /**
   * The sequence number `id` names in this run, or `undefined` for an id of another run (or no
   * id of this hub's at all).
   */
  #sequenceOf(id: string): number | undefined {
    const dash = id.lastIndexOf("-");
    if (id.slice(0, dash) !== this.run || !/^\d{1,15}$/.test(id.slice(dash + 1))) return;
    const seq = Number(id.slice(dash + 1));
    return seq <= this.#seq ? seq : undefined;
  }

  /**
   * A new subscriber's event stream: first what it missed since `lastEventId` (when that is
   * still in the ring; else an `event: gap` naming the ids it cannot have), then live records.
   * An id of another run (before a restart of the service), or none of this hub's, gets an
   * `event: gap` saying so, then every record in the ring, then live records.
   * `actions`, when given, says the filter tests the guard action alone and which it takes.
   */
  subscribe(
    filter: RecordPredicate,
    lastEventId: string | undefined,
    actions?: readonly string[],
  ): ReadableStream<Uint8Array> {
    let subscriber: Subscriber | undefined;
    const gap = (data: Record<string, string>) =>
      encoder.encode(`event: gap\ndata: ${JSON.stringify(data)}\n\n`);
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        subscriber = { filter, actions, controller, last: this.#seq };
        controller.enqueue(encoder.encode(`retry: 1000\n: qts-observer stream\n\n`));
        let from = lastEventId === undefined ? undefined : this.#sequenceOf(lastEventId);
        if (lastEventId !== undefined && from === undefined) {
          controller.enqueue(gap({
            after: lastEventId.slice(0, 64),
            reason: "Last-Event-ID is not of this run of the service (it restarted?): records " +
              "after it are not in memory",
          }));
          from = 0;
        }
        if (from !== undefined && from < this.#seq) {
          const lastEventId = from;
          const oldest = this.#ring[this.#ringStart]?.seq ?? this.#seq + 1;
          if (lastEventId + 1 < oldest) {
            controller.enqueue(gap({
              from: `${this.run}-${lastEventId + 1}`,
              to: `${this.run}-${oldest - 1}`,
            }));
          }
          for (let k = 0; k < this.#ring.length && !subscriber.dropped; k++) {
            const entry = this.#ring[(this.#ringStart + k) % this.#ring.length];
            if (entry.seq > lastEventId) this.#send(subscriber, entry);
          }
        }
        // Let go of while catching up (more than its bound missed): not added.
        if (subscriber.dropped) return;
        subscriber.last = this.#seq;
        this.#subscribers.add(subscriber);
        this.#heartbeat.update(this.#subscribers.size);
      },
      cancel: () => {
        if (subscriber !== undefined) this.#subscribers.delete(subscriber);
        this.#heartbeat.update(this.#subscribers.size);
      },
    }, { highWaterMark: this.#limits.subscriberBytes, size: (chunk) => chunk.byteLength });
  }

  #send(subscriber: Subscriber, entry: RingEntry): void {
    if (subscriber.dropped) return;
    const takes = subscriber.actions !== undefined
      ? subscriber.actions.includes(entry.action)
      : subscriber.filter(entry.record ??= JSON.parse(decoder.decode(entry.line)));
    if (!takes) return;
    const { controller } = subscriber;
    if ((controller.desiredSize ?? 0) <= 0) {
      // The client does not keep up: drop it rather than hold its backlog.
      this.#slow++;
      subscriber.dropped = true;
      this.#subscribers.delete(subscriber);
      this.#heartbeat.update(this.#subscribers.size);
      controller.enqueue(encoder.encode(`event: slow\ndata: {}\n\n`));
      controller.close();
      return;
    }
    controller.enqueue(this.#eventOf(entry));
    subscriber.last = entry.seq;
    this.#events++;
  }

  /** Counters for status and metrics. */
  streamStats(): StreamHubStats {
    return {
      subscribers: this.#subscribers.size,
      slowDisconnects: this.#slow,
      events: this.#events,
    };
  }

  /** Nothing is buffered beyond the subscribers' streams. */
  flush(): Promise<void> {
    return Promise.resolve();
  }

  /** Ends every subscriber's stream. */
  close(): Promise<void> {
    this.#closed = true;
    for (const { controller } of this.#subscribers) {
      try {
        controller.close();
      } catch {
        // Already closed by the client.
      }
    }
    this.#subscribers.clear();
    this.#heartbeat.stop();
    return Promise.resolve();
  }

  /** Same as {@linkcode close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** The stream writes nothing to keep: no counters for the run summary. */
  stats(): SinkStats {
    return { written: this.#events, dropped: 0, failed: 0 };
  }
}
