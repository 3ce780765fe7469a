import assert from "node:assert/strict";
import { headers } from "@nats-io/transport-node";
import { NATS_STREAM_DEFAULTS } from "../../src/nats/settings.ts";
import {
  msgIdHeader,
  PubAckInbox,
  type PubAckOutcome,
  pubAckOutcome,
} from "../../src/nats/pub_ack_inbox.ts";
import { natsServerUnavailable, storedMessageIds, withStream } from "../helpers/nats.ts";

const unavailable = natsServerUnavailable();
const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("pubAckOutcome: the server's PubAcks as it writes them, errors, and anything else refused with what was expected", () => {
  const cases: [string, number | undefined, PubAckOutcome | RegExp][] = [
    ['{"stream":"QTS", "seq":1}', undefined, { ok: true, duplicate: false }],
    ['{"stream":"QTS", "seq":1,"duplicate": true}', undefined, { ok: true, duplicate: true }],
    ['{"stream":"QTS","domain":"hub","seq":7}', undefined, { ok: true, duplicate: false }],
    // A stream named "error" is not an error (the quick read steps aside for the full parse).
    ['{"stream":"error", "seq":2}', undefined, { ok: true, duplicate: false }],
    [
      '{"error":{"code":503,"err_code":10077,"description":"maximum messages exceeded"}}',
      undefined,
      /the stream refused the publish: maximum messages exceeded \(503\)/,
    ],
    ["", 503, /no JetStream stream takes this subject/],
    ["not json", undefined, /expected JSON from the server/],
    ['{"stream":"", "seq":1}', undefined, /expected a stream name/],
    ['{"stream":"QTS", "seq":1', undefined, /expected JSON from the server/],
    ["[1]", undefined, /expected a stream name/],
  ];
  for (const [text, status, expected] of cases) {
    const outcome = pubAckOutcome(bytes(text), status);
    if (expected instanceof RegExp) {
      assert.equal(outcome.ok, false, text);
      assert.match((outcome as { error: Error }).error.message, expected, text);
    } else {
      assert.deepEqual(outcome, expected, text);
    }
  }
});

Deno.test("msgIdHeader: byte for byte the client's own Nats-Msg-Id header block; CR or LF refused", () => {
  const ids = ["r1", "0b9c6a52-6c1e-4b43-9d55-2f1f6f0c8e1a", "  padded  ", "삼성-1", "a\tb"];
  for (const id of ids) {
    const h = headers();
    h.set("Nats-Msg-Id", id);
    assert.equal(msgIdHeader(id), h.toString(), id);
  }
  for (const bad of ["a\r\nX-Injected: 1", "a\nb", "a\r"]) {
    assert.throws(() => msgIdHeader(bad), {
      message: `Nats-Msg-Id: expected no CR or LF, got ${JSON.stringify(bad)}`,
    });
  }
});

Deno.test({
  name: "PubAckInbox: a real server stores each publish with its Nats-Msg-Id header, and acks " +
    "a publish sent again as a duplicate (the stream keeps one)",
  ignore: unavailable !== undefined,
  async fn() {
    await withStream({ ...NATS_STREAM_DEFAULTS, subjects: ["qts.>"] }, async ({ nc, jsm }) => {
      const inbox = new PubAckInbox(nc);
      const publishOnce = (id: string, payload: string) =>
        new Promise<PubAckOutcome>((resolve) =>
          inbox.publish("qts.snapshots.market.A", payload, id, resolve)
        );
      const ids = ["r1", "삼성-2", "0b9c6a52-6c1e-4b43-9d55-2f1f6f0c8e1a"];
      for (const id of ids) {
        assert.deepEqual(await publishOnce(id, `{"id":"${id}"}`), { ok: true, duplicate: false });
      }
      assert.deepEqual(await publishOnce("r1", '{"id":"r1"}'), { ok: true, duplicate: true });
      assert.deepEqual(await storedMessageIds(jsm, NATS_STREAM_DEFAULTS.name), ids);
      const second = await jsm.streams.getMessage(NATS_STREAM_DEFAULTS.name, { seq: 2 });
      assert.equal(second?.string(), '{"id":"삼성-2"}');
      inbox.close();
    });
  },
});
