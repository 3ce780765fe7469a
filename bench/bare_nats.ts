/**
 * The bare NATS contestants of bench rows j and k, run as their own processes (with the `run`
 * task's flags) so that they are timed exactly like `main.ts --publish` and `observer.ts consume`:
 * from process start to exit, startup and connection included.
 *
 *   publish <url> <n> <window> inbox|client runtime|synthetic
 *     publishes n snapshots (each made and serialized in the loop) with their Nats-Msg-Id and at
 *     most <window> acks outstanding, then exits: `inbox` with the same technique as the
 *     project's publisher (src/nats/pub_ack_inbox.ts, a quarter of the window refilled at once),
 *     `client` with the client library's JetStreamClient.publish, one publish per freed slot.
 *     `runtime`: the very snapshots `main.ts --publish --symbols A,B,C,D --ticks <n/4>` publishes
 *     (the simulated session's generator, UUID run_ids, on qts.snapshots.market.<symbol>);
 *     `synthetic`: tests/helpers/snapshot_file.ts's shorter lines (run_id r<i>, rounded values)
 *     on qts.snapshots.market.005930
 *   consume <url> <stream> <durable> <n> <batch>
 *     pulls n messages from the durable consumer (made by the caller) and acks each at once
 *
 * @module
 */

import { connect } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import { PubAckInbox, type PubAckOutcome } from "../src/nats/pub_ack_inbox.ts";
import { natsConnectOptions } from "../src/nats/servers.ts";
import { SnapshotSubjects } from "../src/nats/subjects.ts";
import { sessionSnapshots } from "../src/runtime/qts_runtime.ts";
import { snapshotLine } from "../tests/helpers/snapshot_file.ts";
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

/** One message to publish. */
interface Message {
  readonly subject: string;
  readonly msgId: string;
  readonly payload: string;
}

/** The `n` messages of a `publish` run, each made when it is taken (see the module notes). */
function* messages(n: number, source: string): Generator<Message> {
  if (source === "synthetic") {
    for (let i = 0; i < n; i++) {
      yield { subject: "qts.snapshots.market.005930", msgId: `r${i}`, payload: snapshotLine(i) };
    }
    return;
  }
  if (source !== "runtime") throw new Error(`expected runtime or synthetic, got ${source}`);
  const subjects = new SnapshotSubjects("qts", "snapshots");
  const session = sessionSnapshots({
    symbols: ["A", "B", "C", "D"],
    ticks: n / 4,
    seed: 42,
    startMs: Date.now(),
    sessionId: `qts-${Date.now()}`,
    mode: "DEV",
  });
  for (const snapshot of session) {
    yield {
      subject: subjects.of(snapshot),
      msgId: snapshot.meta.run_id,
      payload: JSON.stringify(snapshot),
    };
  }
}

if (command === "publish") {
  const [n, window] = [Number(rest[0]), Number(rest[1])];
  const source = messages(n, rest[3]);
  let outstanding = 0;
  const room = gate();
  if (rest[2] === "inbox") {
    const inbox = new PubAckInbox(nc);
    const refillAt = window - Math.max(1, Math.floor(window / 4));
    let wakeAt = 0;
    const acked = (outcome: PubAckOutcome) => {
      if (!outcome.ok) throw outcome.error;
      if (--outstanding <= wakeAt) room.open();
    };
    for (const message of source) {
      if (outstanding >= window) {
        wakeAt = refillAt;
        while (outstanding > refillAt) await room.wait();
      }
      outstanding++;
      inbox.publish(message.subject, message.payload, message.msgId, acked);
    }
    wakeAt = 0;
    while (outstanding > 0) await room.wait();
  } else {
    const js = jetstream(nc);
    for (const message of source) {
      while (outstanding >= window) await room.wait();
      outstanding++;
      js.publish(message.subject, message.payload, { msgID: message.msgId }).then(() => {
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
