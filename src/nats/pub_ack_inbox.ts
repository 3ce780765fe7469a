/**
 * JetStream publishes whose acks come back on one subscription: each message is published with
 * its `Nats-Msg-Id` header and a reply subject `<inbox>.<token>`, and the stream's PubAck (or
 * its error) is handed to that publish's callback. It is what `JetStreamClient.publish` does,
 * without what that costs for every message (a request object, a promise, a timer and an
 * `Error` made to reject a promise already resolved): profiling `main.ts --publish` showed those
 * to take more than a third of its time. The caller keeps the time limit (one timer for many
 * publishes; see `publisher.ts`).
 *
 * @module
 */

import {
  createInbox,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Subscription,
} from "@nats-io/transport-node";
import { PayloadArena } from "./payload_arena.ts";

/** What became of one publish: stored (or a duplicate the stream dropped), or refused. */
export type PubAckOutcome =
  | { readonly ok: true; readonly duplicate: boolean }
  | { readonly ok: false; readonly error: Error };

/** Called once with the outcome of a publish. */
export type PubAckCallback = (outcome: PubAckOutcome) => void;

const decoder = new TextDecoder();

/** How a stored message's PubAck starts: `{"stream":"` (then the stream's name). */
const STORED_ACK_START = '{"stream":"';

/**
 * The outcome of a PubAck as the server writes it for a stored message, read without
 * `JSON.parse`: `{"stream":"<name>",…}` with no error member; undefined for anything else (then
 * the full parse decides). A quoted key can only be a key here (stream names and domains hold no
 * `"`), so `"duplicate": true` anywhere is the duplicate flag.
 */
function storedAckOutcome(text: string): PubAckOutcome | undefined {
  if (
    !text.startsWith(STORED_ACK_START) || text.charCodeAt(STORED_ACK_START.length) === 0x22 ||
    !text.endsWith("}") || text.includes('"error"')
  ) {
    return undefined;
  }
  return DUPLICATE_FLAG.test(text) ? DUPLICATE : STORED;
}

/** The duplicate flag as the server writes it (`"duplicate": true`, nats-server 2.x). */
const DUPLICATE_FLAG = /"duplicate"\s*:\s*true/;

const STORED: PubAckOutcome = Object.freeze({ ok: true, duplicate: false });
const DUPLICATE: PubAckOutcome = Object.freeze({ ok: true, duplicate: true });

/**
 * The outcome a PubAck message stands for: `{"stream":…,"seq":…,"duplicate"?:true}` when
 * stored, `{"error":{"code":…,"description":…}}` when refused, an empty message with status 503
 * when no stream takes the subject.
 *
 * @example
 * ```ts
 * import { pubAckOutcome } from "./pub_ack_inbox.ts";
 * pubAckOutcome(new TextEncoder().encode('{"stream":"S","seq":4,"duplicate":true}'));
 * // => { ok: true, duplicate: true }
 * ```
 */
export function pubAckOutcome(data: Uint8Array, status?: number): PubAckOutcome {
  if (data.length === 0) {
    const what = status === 503 ? "no JetStream stream takes this subject" : `status ${status}`;
    return { ok: false, error: new Error(`publish not acknowledged: ${what}`) };
  }
  const text = decoder.decode(data);
  const stored = storedAckOutcome(text);
  if (stored !== undefined) return stored;
  let ack: unknown;
  try {
    ack = JSON.parse(text);
  } catch {
    return { ok: false, error: new Error("publish ack: expected JSON from the server") };
  }
  if (typeof ack !== "object" || ack === null) {
    return { ok: false, error: new Error("publish ack: expected a JSON object from the server") };
  }
  const { error, stream, duplicate } = ack as Record<string, unknown>;
  if (error !== undefined) {
    const { code, description } = (error ?? {}) as Record<string, unknown>;
    return {
      ok: false,
      error: new Error(`the stream refused the publish: ${description ?? "?"} (${code ?? "?"})`),
    };
  }
  if (typeof stream !== "string" || stream === "") {
    return { ok: false, error: new Error("publish ack: expected a stream name from the server") };
  }
  return duplicate === true ? DUPLICATE : STORED;
}

/**
 * The header block of a publish with message id `msgId`, character for character what the
 * client's `headers()` with `Nats-Msg-Id` set encodes (the value trimmed; CR or LF refused as
 * there), made without its per-message map, key canonicalization and checks (a tenth of a
 * publisher's time in a profile).
 *
 * @example
 * ```ts
 * import { msgIdHeader } from "./pub_ack_inbox.ts";
 * msgIdHeader(" r1"); // => "NATS/1.0\r\nNats-Msg-Id: r1\r\n\r\n"
 * ```
 */
export function msgIdHeader(msgId: string): string {
  if (LINE_END.test(msgId)) {
    throw new TypeError(`Nats-Msg-Id: expected no CR or LF, got ${JSON.stringify(msgId)}`);
  }
  return `NATS/1.0\r\nNats-Msg-Id: ${msgId.trim()}\r\n\r\n`;
}

const LINE_END = /[\r\n]/;

/**
 * Headers the client only encodes: its `publish` reads nothing of a `MsgHdrs` but `encode()`,
 * synchronously (nats-core 3.4; tests/nats/pub_ack_inbox_test.ts checks that a real server reads
 * the id), so one object serves every publish, given the next block before each.
 */
class EncodedHeaders {
  bytes: Uint8Array = new Uint8Array(0);

  encode(): Uint8Array {
    return this.bytes;
  }

  asMsgHdrs(): MsgHdrs {
    return this as unknown as MsgHdrs;
  }
}

/**
 * Publishes to JetStream with acks gathered on one inbox subscription of `nc`.
 *
 * @example
 * ```ts
 * import { PubAckInbox } from "./pub_ack_inbox.ts";
 * import type { NatsConnection } from "@nats-io/transport-node";
 * declare const nc: NatsConnection;
 * const inbox = new PubAckInbox(nc);
 * inbox.publish("qts.snapshots.market.A", "{}", "r1", (outcome) => console.log(outcome));
 * ```
 */
export class PubAckInbox {
  readonly #nc: NatsConnection;
  readonly #prefix: string;
  readonly #subscription: Subscription;
  readonly #waiting = new Map<number, PubAckCallback>();
  readonly #header = new EncodedHeaders();
  /** The header blocks' bytes, in shared chunks (no buffer of its own per publish). */
  readonly #headerBytes = new PayloadArena();
  #next = 0;

  /** Subscribes to a fresh inbox of `nc`. */
  constructor(nc: NatsConnection) {
    this.#nc = nc;
    this.#prefix = `${createInbox()}.`;
    this.#subscription = nc.subscribe(`${this.#prefix}*`, {
      callback: (error, msg) => {
        if (error === null) this.#settle(msg);
      },
    });
  }

  /**
   * Publishes `payload` on `subject` with message id `msgId`; `callback` gets its outcome
   * (unless {@linkcode forget} came first). Returns the publish's token. Throws as
   * `NatsConnection.publish` does (closed connection, payload over the server's limit).
   */
  publish(
    subject: string,
    payload: string | Uint8Array,
    msgId: string,
    callback: PubAckCallback,
  ): number {
    this.#header.bytes = this.#headerBytes.encode(msgIdHeader(msgId));
    const token = this.#next++;
    this.#nc.publish(subject, payload, {
      reply: `${this.#prefix}${token}`,
      headers: this.#header.asMsgHdrs(),
    });
    this.#waiting.set(token, callback);
    return token;
  }

  /** Drops the callbacks of tokens `from` to `to` (excluded): acks for them are ignored. */
  forget(from: number, to: number): void {
    for (let token = from; token < to; token++) this.#waiting.delete(token);
  }

  /** Ends the subscription. */
  close(): void {
    this.#waiting.clear();
    this.#subscription.unsubscribe();
  }

  #settle(msg: Msg): void {
    const token = Number(msg.subject.slice(this.#prefix.length));
    const callback = this.#waiting.get(token);
    if (callback === undefined) return;
    this.#waiting.delete(token);
    callback(pubAckOutcome(msg.data, msg.headers?.code));
  }
}
