/**
 * The bare NATS contestants of bench rows j and k, run as their own processes (with the `run`
 * task's flags) so that they are timed exactly like `main.ts --publish` and `observer.ts consume`:
 * from process start to exit, startup and connection included.
 *
 *   publish <url> <n> <window> inbox|client
 *     publishes n snapshot lines (made in the loop) on qts.snapshots.market.005930 with their
 *     Nats-Msg-Id and at most <window> acks outstanding, then exits: `inbox` with the same
 *     technique as the project's publisher (src/nats/pub_ack_inbox.ts, a quarter of the window
 *     refilled at once), `client` with the client library's JetStreamClient.publish, one
 *     publish per freed slot
 *   consume <url> <stream> <durable> <n> <batch>
 *     pulls n messages from the durable consumer (made by the caller) and acks each at once
 *
 * @module
 */

import { connect } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import { PubAckInbox } from "../src/nats/pub_ack_inbox.ts";
import { natsConnectOptions } from "../src/nats/servers.ts";
import { snapshotLine } from "../tests/helpers/snapshot_file.ts";

const SUBJECT = "qts.snapshots.market.005930";
const [command, url, ...rest] = Deno.args;
const nc = await connect(natsConnectOptions([url], "bare", 5000));

/** Waits for a callback-driven condition without a promise per message. */
function gate() {
  let wake: (() => void) | undefined;
  return {
    wait: () => new Promise<void>((resolve) => wake = resolve),
    open() {
      const w = wake;
      wake = undefined;
      w?.();
    },
  };
}

if (command === "publish") {
  const [n, window] = [Number(rest[0]), Number(rest[1])];
  let outstanding = 0;
  const room = gate();
  if (rest[2] === "inbox") {
    const inbox = new PubAckInbox(nc);
    const refillAt = window - Math.max(1, Math.floor(window / 4));
    let wakeAt = 0;
    for (let i = 0; i < n; i++) {
      if (outstanding >= window) {
        wakeAt = refillAt;
        while (outstanding > refillAt) await room.wait();
      }
      outstanding++;
      inbox.publish(SUBJECT, snapshotLine(i), `r${i}`, (outcome) => {
        if (!outcome.ok) throw outcome.error;
        if (--outstanding <= wakeAt) room.open();
      });
    }
    wakeAt = 0;
    while (outstanding > 0) await room.wait();
  } else {
    const js = jetstream(nc);
    for (let i = 0; i < n; i++) {
      while (outstanding >= window) await room.wait();
      outstanding++;
      js.publish(SUBJECT, snapshotLine(i), { msgID: `r${i}` }).then(() => {
        outstanding--;
        room.open();
      });
    }
    while (outstanding > 0) await room.wait();
  }
} else if (command === "consume") {
  const [stream, durable, n, batch] = [rest[0], rest[1], Number(rest[2]), Number(rest[3])];
  const consumer = await jetstream(nc).consumers.get(stream, durable);
  const messages = await consumer.consume({ max_messages: batch });
  let seen = 0;
  for await (const m of messages) {
    m.ack();
    if (++seen === n) break;
  }
} else {
  throw new Error(`expected publish or consume, got ${command}`);
}
await nc.drain();
