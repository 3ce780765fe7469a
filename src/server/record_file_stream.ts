/**
 * The live stream of records as they are written (`GET /v1/stream` without `guard=BLOCK`): it
 * follows the record file the service writes, so an event is a line that is in the file, its data
 * the line's exact text, and its id the file and the byte offset after the line. A client that
 * reconnects with `Last-Event-ID` continues from there while that file is still the current one
 * (or one this run rotated away from, while it exists): nothing is kept in memory for it.
 *
 * One tail reader reads what the sink appended (polled) and parses each line once, for the
 * subscribers that are caught up. A subscriber that cannot take an event at once is not
 * buffered: it falls behind and reads the file on its own until it has caught up; one that falls
 * more than `maxLagBytes` behind is disconnected (counted as slow).
 *
 * @module
 */

import type { RecordPredicate } from "../sinks/record_filter.ts";
import { HEARTBEAT_MS, StreamHeartbeat } from "./stream_heartbeat.ts";
import {
  type Cursor,
  eventId,
  fileKey,
  filesBetween,
  lastLineEnd,
  parseEventId,
  parseLine,
  readRange,
  type Tail,
} from "./file_stream_reading.ts";
import { demand, openAt, sendFrom, type Subscriber } from "./file_stream_subscriber.ts";

/** Limits of a {@linkcode RecordFileStream}. */
export interface FileStreamLimits {
  /** How far (bytes of the file) a subscriber may fall behind before it is disconnected. */
  readonly maxLagBytes: number;
  /** Subscribers at once. */
  readonly maxSubscribers: number;
  /** How often the file is looked at for new lines, in ms. */
  readonly pollMs: number;
  /** Interval of the `: ping` comment sent to every subscriber, in ms. */
  readonly heartbeatMs: number;
}

/** The default limits: 64 MiB behind, 256 subscribers, a look every 20 ms, a ping every 15 s. */
export const FILE_STREAM_LIMITS: FileStreamLimits = {
  maxLagBytes: 64 * 1024 * 1024,
  maxSubscribers: 256,
  pollMs: 20,
  heartbeatMs: HEARTBEAT_MS,
};

/** Counters of the stream. */
export interface FileStreamStats {
  /** Subscribers connected now. */
  readonly subscribers: number;
  /** Subscribers disconnected because they fell too far behind. */
  readonly slowDisconnects: number;
  /** Events sent. */
  readonly events: number;
}

const encoder = new TextEncoder();
/**
 * Bytes queued for one subscriber before it falls behind (and reads the file itself); with a
 * catch-up read on top, about 320 KiB a subscriber, 80 MiB for 256 at the very worst.
 */
const SUBSCRIBER_BYTES = 256 * 1024;
const decoder = new TextDecoder();
/** Bytes read at once by the tail; a subscriber catching up reads a quarter of it at a time. */
const READ_BYTES = 256 * 1024;

/**
 * Follows the record file at `path()` (which changes when the sink rotates) and streams its
 * lines to subscribers.
 *
 * @example
 * ```ts
 * import { RecordFileStream } from "./record_file_stream.ts";
 * const stream = new RecordFileStream(() => "/srv/qts/data/observer/observer.jsonl");
 * await stream.start();
 * const body = stream.subscribe(() => true, undefined);
 * await stream.close();
 * ```
 */
export class RecordFileStream {
  readonly #path: () => string;
  readonly #limits: FileStreamLimits;
  readonly #subscribers = new Set<Subscriber>();
  /** Paths of the files seen this run, by key (for subscribers behind a rotation). */
  readonly #paths = new Map<string, string>();
  #tail: Tail | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  /** The look at the file in progress, if any (one at a time). */
  #polling: Promise<void> | undefined;
  #closed = false;
  readonly #heartbeat: StreamHeartbeat;
  #slow = 0;
  #events = 0;

  /** Follows the file at `path()`; call {@linkcode RecordFileStream.start}. */
  constructor(path: () => string, limits: Partial<FileStreamLimits> = {}) {
    this.#path = path;
    this.#limits = { ...FILE_STREAM_LIMITS, ...limits };
    this.#heartbeat = new StreamHeartbeat(
      this.#limits.heartbeatMs,
      () => [...this.#subscribers].map((s) => s.controller),
    );
  }

  /** Opens the current file at its end and starts looking for new lines. */
  async start(): Promise<void> {
    this.#tail = await this.#open(this.#path(), "end");
    this.#timer = setInterval(() => void this.#poll(), this.#limits.pollMs);
  }

  /** True when another subscriber may connect. */
  get hasRoom(): boolean {
    return !this.#closed && this.#subscribers.size < this.#limits.maxSubscribers;
  }

  async #open(path: string, at: "end" | "start"): Promise<Tail> {
    const file = await Deno.open(path, { read: true });
    const info = await file.stat();
    const key = fileKey(info);
    this.#paths.delete(key); // re-set: the order of the map is the order the files were met
    this.#paths.set(key, path);
    if (this.#paths.size > 64) this.#paths.delete(this.#paths.keys().next().value!);
    return { key, path, file, offset: at === "end" ? info.size : 0 };
  }

  /** Looks at the file once (at most one look at a time: a second call gets the one running). */
  #poll(): Promise<void> {
    if (this.#polling !== undefined || this.#closed || this.#tail === undefined) {
      return this.#polling ?? Promise.resolve();
    }
    this.#polling = this.#look(this.#tail).finally(() => this.#polling = undefined);
    return this.#polling;
  }

  /** Reads what was appended to `tail` (and the rest of the files rotated away from). */
  async #look(tail: Tail): Promise<void> {
    try {
      // With nobody to send lines to, #finish only keeps the place (a resume reads the file).
      await this.#finish(tail);
      const path = this.#path();
      if (path !== tail.path) {
        // Rotated, once or more since the last look: each file before the current one is
        // complete now (the tail's handle stays readable); read them in order.
        await this.#finish(tail);
        let current = tail;
        for (const next of [...await filesBetween(tail.path, path), path]) {
          const opened = await this.#open(next, "start");
          this.#moveOn(current, opened);
          current.file.close();
          this.#tail = current = opened;
          if (next !== path) await this.#finish(opened);
        }
      }
    } catch {
      // The file went away or cannot be read now: try again at the next look.
    }
    this.#dropStuck();
  }

  /** Reads a file to its (final) end. */
  async #finish(tail: Tail): Promise<void> {
    const size = (await tail.file.stat()).size;
    if (this.#subscribers.size === 0) {
      const end = await lastLineEnd(tail, size);
      // Nobody to send the lines to: only the place moves. Unless a subscriber came while the
      // end was read: it stands at the old place, and the lines up to the end are its to get.
      if (this.#subscribers.size === 0) {
        tail.offset = end;
        return;
      }
    }
    if (size > tail.offset) await this.#advance(tail, size);
  }

  /** Subscribers caught up with the end of `from` go on at the start of `to`. */
  #moveOn(from: Tail, to: Tail): void {
    for (const s of this.#subscribers) {
      if (!s.behind && s.cursor.key === from.key && s.cursor.offset >= from.offset) {
        s.cursor.key = to.key;
        s.cursor.offset = 0;
      }
    }
  }

  /** Hands the whole lines in `[tail.offset, size)` to the caught-up subscribers. */
  async #advance(tail: Tail, size: number): Promise<void> {
    while (tail.offset < size) {
      const bytes = await readRange(
        tail.file,
        tail.offset,
        Math.min(size, tail.offset + READ_BYTES),
      );
      const end = bytes.lastIndexOf(0x0a) + 1;
      if (end === 0) {
        if (bytes.length < READ_BYTES) return; // a line still being written
        // A line longer than one read: take it whole.
        const whole = await readRange(tail.file, tail.offset, size);
        const wholeEnd = whole.lastIndexOf(0x0a) + 1;
        if (wholeEnd === 0) return;
        this.#deliver(tail, whole.subarray(0, wholeEnd));
        continue;
      }
      this.#deliver(tail, bytes.subarray(0, end));
    }
  }

  /** Sends each line of `bytes` (whole lines from `tail.offset`) to the caught-up subscribers. */
  #deliver(tail: Tail, bytes: Uint8Array): void {
    const live: Subscriber[] = [];
    for (const s of this.#subscribers) {
      if (s.behind) continue;
      if (s.cursor.key === tail.key && s.cursor.offset === tail.offset) live.push(s);
      else this.#fallBehind(s); // joined while the tail moved on: read the difference
    }
    let start = 0;
    while (start < bytes.length) {
      const end = bytes.indexOf(0x0a, start) + 1;
      const lineStart = tail.offset + start;
      const lineEnd = tail.offset + end;
      if (live.length > 0) {
        const text = decoder.decode(bytes.subarray(start, end - 1));
        const record = parseLine(text);
        let event: Uint8Array | undefined; // the same for every live subscriber: encoded once
        for (const s of live) {
          if (s.behind || s.closed) continue;
          if (s.cursor.offset !== lineStart) continue;
          if (record !== undefined && s.filter(record)) {
            if ((s.controller.desiredSize ?? 0) <= 0) {
              this.#fallBehind(s);
              continue;
            }
            s.cursor.offset = lineEnd;
            event ??= this.#event(s.cursor, text);
            s.controller.enqueue(event);
            this.#events++;
          } else {
            s.cursor.offset = lineEnd;
          }
        }
      }
      start = end;
    }
    tail.offset += bytes.length;
  }

  #event(cursor: Cursor, text: string): Uint8Array {
    return encoder.encode(`id: ${eventId(cursor)}\nevent: record\ndata: ${text}\n\n`);
  }

  #send(s: Subscriber, text: string): void {
    s.controller.enqueue(this.#event(s.cursor, text));
    this.#events++;
  }

  /** Lets `s` read the file on its own until it has caught up with the tail. */
  #fallBehind(s: Subscriber): void {
    s.behind = true;
    void this.#catchUp(s).catch(() => this.#close(s)); // the client reconnects and resumes
  }

  async #catchUp(s: Subscriber): Promise<void> {
    // Called from #deliver in the middle of a read: start once the tail has moved past it.
    await Promise.resolve();
    let file: Deno.FsFile | undefined;
    let openKey: string | undefined;
    try {
      while (!s.closed && !this.#closed) {
        const tail = this.#tail!;
        if (s.cursor.key === tail.key && s.cursor.offset >= tail.offset) break;
        if (this.#lag(s) > this.#limits.maxLagBytes) {
          this.#slow++;
          this.#close(s, "event: slow\ndata: {}\n\n");
          return;
        }
        if (openKey !== s.cursor.key) {
          file?.close();
          openKey = s.cursor.key;
          const opened = await openAt(s, this.#paths.get(s.cursor.key));
          if (typeof opened === "string") {
            this.#gap(s, opened);
            break;
          }
          file = opened;
        }
        const size = s.cursor.key === tail.key ? tail.offset : (await file!.stat()).size;
        if (s.cursor.offset >= size) {
          // A file rotated away from, read to its end: on to the next one this run wrote.
          const keys = [...this.#paths.keys()];
          const next = keys[keys.indexOf(s.cursor.key) + 1];
          if (next === undefined) {
            this.#gap(s, "lost track of the record files");
            break;
          }
          s.cursor.key = next;
          s.cursor.offset = 0;
          continue;
        }
        await demand(s);
        if (s.closed) return;
        const torn = await sendFrom(s, file!, size, (text) => this.#send(s, text));
        if (torn !== undefined) {
          this.#gap(s, torn);
          break;
        }
      }
    } finally {
      file?.close();
    }
    s.behind = false;
  }

  /**
   * Bytes of the record files between `s` and the tail: exact on the tail's file, else at least
   * the tail's offset (the older files' rest comes on top).
   */
  #lag(s: Subscriber): number {
    const tail = this.#tail!;
    return s.cursor.key === tail.key ? tail.offset - s.cursor.offset : tail.offset + 1;
  }

  /**
   * Lets go of the subscribers that take nothing (waiting for their client to read) while more
   * than `maxLagBytes` behind: their streams end with an error and their connections are cut
   * (`onStuck`), counted as slow.
   */
  #dropStuck(): void {
    for (const s of this.#subscribers) {
      if (s.wake === undefined || this.#lag(s) <= this.#limits.maxLagBytes) continue;
      this.#slow++;
      this.#end(s);
      try {
        s.controller.error(new Error("a stream subscriber fell too far behind"));
      } catch {
        // closed by the client
      }
      s.onStuck?.();
    }
  }

  #gap(s: Subscriber, reason: string): void {
    const tail = this.#tail!;
    s.cursor.key = tail.key;
    s.cursor.offset = tail.offset;
    s.controller.enqueue(
      encoder.encode(
        `id: ${eventId(s.cursor)}\nevent: gap\ndata: ${JSON.stringify({ reason })}\n\n`,
      ),
    );
  }

  /**
   * A new subscriber's event stream: from `lastEventId` (when it names a place in a file this
   * run wrote that still exists; else an `event: gap` and live records), or from now.
   */
  subscribe(
    filter: RecordPredicate,
    lastEventId: string | undefined,
    onStuck?: () => void,
  ): ReadableStream<Uint8Array> {
    let subscriber: Subscriber | undefined;
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        const tail = this.#tail!;
        const cursor = { key: tail.key, offset: tail.offset };
        const s: Subscriber = { filter, controller, cursor, behind: false, closed: false, onStuck };
        subscriber = s;
        controller.enqueue(encoder.encode(`retry: 1000\n: qts-observer stream\n\n`));
        this.#subscribers.add(s);
        this.#heartbeat.update(this.#subscribers.size);
        if (lastEventId === undefined) return;
        const resume = parseEventId(lastEventId);
        const known = resume !== undefined && this.#paths.has(resume.key) &&
          (resume.key !== tail.key || resume.offset <= tail.offset);
        if (!known) {
          this.#gap(s, "Last-Event-ID names no place in a record file of this run");
          return;
        }
        cursor.key = resume.key;
        cursor.offset = resume.offset;
        s.unchecked = resume.offset > 0;
        this.#fallBehind(s);
      },
      pull: () => {
        const wake = subscriber?.wake;
        if (wake !== undefined) {
          subscriber!.wake = undefined;
          wake();
        }
      },
      cancel: () => {
        if (subscriber !== undefined) this.#end(subscriber);
      },
    }, { highWaterMark: SUBSCRIBER_BYTES, size: (chunk) => chunk.byteLength });
  }

  #end(s: Subscriber): void {
    s.closed = true;
    this.#subscribers.delete(s);
    this.#heartbeat.update(this.#subscribers.size);
    s.wake?.();
  }

  #close(s: Subscriber, last?: string): void {
    this.#end(s);
    try {
      if (last !== undefined) s.controller.enqueue(encoder.encode(last));
      s.controller.close();
    } catch {
      // closed by the client
    }
  }

  /** Counters for status and metrics. */
  streamStats(): FileStreamStats {
    return {
      subscribers: this.#subscribers.size,
      slowDisconnects: this.#slow,
      events: this.#events,
    };
  }

  /** Reads what is left of the file to the subscribers, then ends every stream. */
  async close(): Promise<void> {
    if (this.#closed) return;
    clearInterval(this.#timer);
    await this.#polling;
    await this.#poll();
    this.#closed = true;
    for (const s of [...this.#subscribers]) this.#close(s);
    this.#heartbeat.stop();
    this.#tail?.file.close();
  }
}
