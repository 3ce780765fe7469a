/**
 * The ack subject of a JetStream message (`$JS.ACK.…`): what a consumer keeps of a message until
 * it acks it, and the delivery count and stream sequence read from it without the client's
 * eleven-field `JsMsg.info`.
 *
 * @module
 */

import type { JsMsg } from "@nats-io/jetstream";

/**
 * What is kept of a recorded message until its ack: the subject its ack goes to, or, if the
 * client did not show it, the message itself.
 */
export type AckHandle = string | JsMsg;

/**
 * The ack subject of `message` (`$JS.ACK.…`, where `JsMsg.ack()` sends `+ACK`). Keeping only
 * this string rather than the message matters: a message's bytes are a view of the socket chunk
 * it came in, so hundreds of messages held for one flush keep whole chunks alive, which were seen
 * to double the garbage collector's work. The client (`@nats-io/jetstream` 3.x) has the subject
 * as `reply` on every message it delivers, though its `JsMsg` type does not list it; when it is
 * missing or not an ack subject, the message itself is kept and acked with `ack()`.
 */
export function ackHandle(message: JsMsg): AckHandle {
  const reply = (message as { reply?: unknown }).reply;
  return typeof reply === "string" && reply.startsWith("$JS.ACK.") ? reply : message;
}

/** What consume needs of a message's delivery info. */
export interface DeliveryNumbers {
  /** Its stream sequence. */
  readonly streamSequence: number;
  /** How often it was delivered (1 the first time). */
  readonly deliveryCount: number;
}

/**
 * The delivery count and stream sequence an ack subject holds, as `JsMsg.info` reads them:
 * `$JS.ACK.<stream>.<consumer>.<count>.<sseq>.…` (9 tokens) or, with domain and account hash,
 * `$JS.ACK.<domain>.<hash>.<stream>.<consumer>.<count>.<sseq>.…` (11 or more). `JsMsg.info`
 * builds an object of eleven fields from a split of the whole subject for every message; this
 * reads the two numbers. Undefined when `subject` is not such a subject (then ask the message).
 *
 * @example
 * ```ts
 * import { deliveryNumbers } from "./ack_subject.ts";
 * deliveryNumbers("$JS.ACK.S.C.2.41.40.1700000000000000000.0");
 * // => { deliveryCount: 2, streamSequence: 41 }
 * ```
 */
export function deliveryNumbers(subject: string): DeliveryNumbers | undefined {
  if (!subject.startsWith("$JS.ACK.")) return undefined;
  // Where each token ends (its dot), read without splitting: this runs for every message.
  let dots = 0;
  for (let i = subject.indexOf("."); i >= 0; i = subject.indexOf(".", i + 1)) {
    if (dots === DOT_AT.length) return undefined;
    DOT_AT[dots++] = i;
  }
  const tokens = dots + 1;
  const at = tokens === 9 ? 4 : tokens >= 11 ? 6 : -1;
  if (at < 0) return undefined;
  const deliveryCount = decimal(subject, DOT_AT[at - 1] + 1, DOT_AT[at]);
  const streamSequence = decimal(subject, DOT_AT[at] + 1, DOT_AT[at + 1]);
  if (deliveryCount < 0 || streamSequence < 0) return undefined;
  return { deliveryCount, streamSequence };
}

/** Dot positions of the ack subject being read (at most 15 dots: 16 tokens). */
const DOT_AT = new Int32Array(15);

/** The decimal digits of `text` from `start` to `end` (1 to 15 of them) as a number, else -1. */
function decimal(text: string, start: number, end: number): number {
  if (end <= start || end - start > 15) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = text.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** `message`'s delivery numbers, from its ack subject when it has one, else from the client. */
export function deliveryOf(message: JsMsg, handle: AckHandle): DeliveryNumbers {
  return (typeof handle === "string" ? deliveryNumbers(handle) : undefined) ?? message.info;
}
