/**
 * Consume's acks: recorded messages acknowledged in groups once every sink has flushed them, held
 * in progress while a sink fails, and left unacked (to be delivered again) when a sink let one
 * of their records go.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/transport-node";
import { type Pipeline, recordsLetGo } from "./pipeline.ts";
import type { Logger } from "../log/logging.ts";
import { backoffDelayMs, delay } from "../io/delay.ts";
import type { AckHandle } from "../nats/ack_subject.ts";
import type { NatsConsumerSettings } from "../nats/settings.ts";

/** The JetStream ack and progress ("working") replies, as `JsMsg.ack()`/`working()` send them. */
const ACK: Uint8Array = new TextEncoder().encode("+ACK");
const WORKING: Uint8Array = new TextEncoder().encode("+WPI");

/**
 * Acks recorded messages in groups: when `batch` are waiting or `ackDelayMs` after the first,
 * every sink and the dead-letter file are flushed, then the group is acked (groups cut while a
 * flush runs wait for the next one, which acks them all). While a sink fails,
 * the group's messages are kept in progress (`working`) and the flush retried with backoff;
 * after a stop, a group whose sinks still fail is left unacked (it will be redelivered).
 *
 * A group during whose recording a sink let a record go (dropped by a full queue's policy, or
 * given up on while failing: the sinks' `dropped` and `failed` counters, and the dead-letter
 * file's, rose) is never acked: one of its messages is not where it should be, so the whole group
 * is left to be delivered again (its other records then appear twice, which `merge` removes).
 * Losses are told to their group exactly: a message's record is handed to the sinks before the
 * message joins a group, and a group is cut only between messages (between chunks, with workers).
 */
export class Acker {
  /** Messages acknowledged. */
  acked = 0;
  /** Messages left unacked (a sink let a record of their group go, or kept failing). */
  unacked = 0;
  #pending: AckHandle[] = [];
  /** Groups cut and waiting for the next flush (group commit: one flush acks all of them). */
  #ready: AckHandle[] = [];
  /** The running flush loop, if any. */
  #flushing: Promise<void> | undefined;
  /** `finish()` was called: a failing flush is given up after three attempts. */
  #finishing = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Records let go of by the sinks when the last loss was told to a group. */
  #lostSeen: number;
  /** The group being gathered holds a message whose record was let go of. */
  #pendingLossy = false;

  /** `onAcked` hears of each acked group's size. */
  constructor(
    readonly nc: NatsConnection,
    readonly pipeline: Pipeline,
    readonly settings: NatsConsumerSettings,
    readonly logger: Logger,
    readonly signal: AbortSignal,
    readonly onAcked?: (count: number) => void,
  ) {
    this.#lostSeen = recordsLetGo(this.pipeline);
  }

  /** Takes a message that was recorded. */
  add(message: AckHandle): void {
    this.#pending.push(message);
    this.#cutOrWait();
  }

  /** Takes the messages of a chunk that was recorded, all in one group. */
  addChunk(messages: readonly AckHandle[]): void {
    // A loss since the last look is this chunk's (its records were just handed to the sinks).
    const lossy = this.#lostSinceLastLook();
    if (this.#pending.length + messages.length > this.settings.batch) this.#cut();
    this.#pending.push(...messages);
    this.#pendingLossy ||= lossy;
    this.#cutOrWait();
  }

  /** Cuts the last group and waits until every group was acked or given up on. */
  async finish(): Promise<void> {
    // From here a failing flush is tried three times, as after a stop (the messages may have
    // ended with an error, no signal): the process ends rather than wait for its sinks forever.
    this.#finishing = true;
    this.#cut();
    await this.#flushing;
  }

  #cutOrWait(): void {
    if (this.#pending.length >= this.settings.batch) this.#cut();
    else this.#timer ??= setTimeout(() => this.#cut(), this.settings.ackDelayMs);
  }

  #cut(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.length === 0) return;
    const group = this.#pending;
    this.#pending = [];
    const lossy = this.#lostSinceLastLook() || this.#pendingLossy;
    this.#pendingLossy = false;
    if (lossy) {
      this.#holdBack(group);
      return;
    }
    for (const message of group) this.#ready.push(message);
    this.#flushing ??= this.#flushLoop();
  }

  /**
   * Flushes and acks the groups cut so far, then those cut meanwhile, until none waits. One
   * flush covers every group cut before it began: flushing each group in turn would ack one
   * group per write and sync while messages come faster, and the acks would fall behind until
   * the server stops delivering (`max_ack_pending`).
   */
  async #flushLoop(): Promise<void> {
    while (this.#ready.length > 0) {
      const messages = this.#ready;
      this.#ready = [];
      try {
        await this.#flushAndAck(messages);
      } catch (error) {
        // Sending the acks failed (the connection closed): they stay unacked, to be delivered
        // again, and the groups after them are still tried.
        this.unacked += messages.length;
        this.logger.error("Cannot ack {count} message(s): {error}; they will be delivered again", {
          count: messages.length,
          error: (error as Error).message,
        });
      }
    }
    this.#flushing = undefined;
  }

  /** True when the sinks let records go since the last look (and looks again from now). */
  #lostSinceLastLook(): boolean {
    const lost = recordsLetGo(this.pipeline);
    const rose = lost > this.#lostSeen;
    this.#lostSeen = lost;
    return rose;
  }

  /** Leaves a group with a record a sink let go of unacked, to be delivered again. */
  #holdBack(group: readonly AckHandle[]): void {
    const lost = this.#lostSeen;
    this.unacked += group.length;
    this.logger.error(
      "{count} message(s) left unacked, to be delivered again: a sink let records of them go " +
        "({lost} in this run so far, dropped by a full queue or given up on while failing)",
      { count: group.length, lost },
    );
  }

  /** Sends `payload` (an ack or a progress note) for every message of `group`, unawaited. */
  #reply(group: readonly AckHandle[], payload: Uint8Array): void {
    // Published in one go, the replies leave in one socket write.
    for (const message of group) {
      if (typeof message === "string") this.nc.publish(message, payload);
      else if (payload === ACK) message.ack();
      else message.working();
    }
  }

  async #flushAndAck(group: AckHandle[]): Promise<void> {
    for (let attempt = 1;; attempt++) {
      try {
        await Promise.all([
          ...this.pipeline.sinks.map(({ sink }) => sink.flush()),
          this.pipeline.deadLetters.flush(),
        ]);
        break;
      } catch (error) {
        if (attempt === 1) {
          this.logger.error(
            "Cannot ack {count} message(s) yet: {error}; retrying, the messages stay unacked",
            { count: group.length, error: (error as Error).message },
          );
        }
        if ((this.signal.aborted || this.#finishing) && attempt >= 3) {
          this.unacked += group.length;
          return;
        }
        this.#reply(group, WORKING);
        await delay(backoffDelayMs(attempt));
      }
    }
    this.#reply(group, ACK);
    this.acked += group.length;
    this.onAcked?.(group.length);
  }
}
