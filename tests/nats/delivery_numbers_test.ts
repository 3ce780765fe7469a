import assert from "node:assert/strict";
import { AckPolicy, jetstream } from "@nats-io/jetstream";
import { deliveryNumbers } from "../../src/nats/ack_subject.ts";
import { NATS_STREAM_DEFAULTS } from "../../src/nats/settings.ts";
import { natsServerUnavailable, withStream } from "../helpers/nats.ts";

const unavailable = natsServerUnavailable();

Deno.test("deliveryNumbers reads the delivery count and stream sequence of both ack subject forms, and nothing else", () => {
  assert.deepEqual(deliveryNumbers("$JS.ACK.QTS.obs.1.42.40.1700000000000000000.7"), {
    deliveryCount: 1,
    streamSequence: 42,
  });
  // With domain and account hash (11 tokens), and with the trailing random token (12).
  assert.deepEqual(deliveryNumbers("$JS.ACK._.ABC.QTS.obs.3.900.12.1700000000000000000.0"), {
    deliveryCount: 3,
    streamSequence: 900,
  });
  assert.deepEqual(
    deliveryNumbers("$JS.ACK.hub.ABC.QTS.obs.2.123456789012.5.1700000000000000000.0.xyz"),
    { deliveryCount: 2, streamSequence: 123456789012 },
  );
  for (
    const subject of [
      "_INBOX.abc.def",
      "$JS.ACK.QTS.obs.1.42",
      "$JS.ACK.QTS.obs.x.42.40.1.7",
      "$JS.ACK.QTS.obs.1.-4.40.1.7",
      "$JS.ACK.QTS.obs.1..40.1.7",
      "$JS.ACK.QTS.obs.1.99999999999999999.40.1.7",
      "$JS.NAK.QTS.obs.1.42.40.1.7",
    ]
  ) {
    assert.equal(deliveryNumbers(subject), undefined, subject);
  }
});

Deno.test({
  name:
    "deliveryNumbers agrees with JsMsg.info on a real server's deliveries, a redelivery included",
  ignore: unavailable !== undefined,
  async fn() {
    await withStream({ ...NATS_STREAM_DEFAULTS, subjects: ["qts.>"] }, async ({ nc, jsm }) => {
      const js = jetstream(nc);
      for (let i = 0; i < 3; i++) await js.publish("qts.snapshots.market.A", `m${i}`);
      await jsm.consumers.add(NATS_STREAM_DEFAULTS.name, {
        durable_name: "d",
        ack_policy: AckPolicy.Explicit,
      });
      const consumer = await js.consumers.get(NATS_STREAM_DEFAULTS.name, "d");
      const seen: string[] = [];
      const messages = await consumer.consume({ max_messages: 10 });
      for await (const message of messages) {
        const reply = (message as { reply?: unknown }).reply;
        assert.equal(typeof reply, "string");
        const info = message.info;
        assert.deepEqual(deliveryNumbers(reply as string), {
          deliveryCount: info.deliveryCount,
          streamSequence: info.streamSequence,
        });
        seen.push(`${info.streamSequence}/${info.deliveryCount}`);
        // The first one is refused once, so it comes again with a delivery count of 2.
        if (info.streamSequence === 1 && info.deliveryCount === 1) message.nak();
        else message.ack();
        if (seen.length === 4) break;
      }
      assert.deepEqual(seen.sort(), ["1/1", "1/2", "2/1", "3/1"]);
    });
  },
});
