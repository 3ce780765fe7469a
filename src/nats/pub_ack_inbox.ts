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
  headers,
  type Msg,
  type NatsConnection,
  type Subscription,
} from "@nats-io/transport-node";

/** What became of one publish: stored (or a duplicate the stream dropped), or refused. */
export type PubAckOutcome =
  | { readonly ok: true; readonly duplicate: boolean }
  | { readonly ok: false; readonly error: Error };

/** Called once with the outcome of a publish. */
export type PubAckCallback = (outcome: PubAckOutcome) => void;

const decoder = new TextDecoder();

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
  let ack: unknown;
  try {
    ack = JSON.parse(decoder.decode(data));
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
  return { ok: true, duplicate: duplicate === true };
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
    const token = this.#next++;
    const h = headers();
    h.set("Nats-Msg-Id", msgId);
    this.#nc.publish(subject, payload, { reply: `${this.#prefix}${token}`, headers: h });
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
