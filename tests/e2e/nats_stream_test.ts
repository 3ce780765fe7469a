import assert from "node:assert/strict";
import { natsServerUnavailable } from "../helpers/nats.ts";
import { withNatsProject } from "../helpers/nats_project.ts";

const unavailable = natsServerUnavailable();

Deno.test({
  name: "stream create: makes the stream with the explicit limits and the durable consumer; " +
    "a second run updates it; a server the task may not reach exits 2 naming the flag",
  ignore: unavailable !== undefined,
  async fn() {
    await withNatsProject(async ({ server, net, jsm, streamCreate }) => {
      const denied = await streamCreate();
      assert.equal(denied.code, 2, denied.stderr);
      assert.match(denied.stderr, new RegExp(`--allow-net=127\\.0\\.0\\.1:${server.port}`));
      const first = await streamCreate(net);
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /^stream QTS_TEST: created subjects=qts\.snapshots\.> /m);
      assert.match(first.stdout, /^consumer observers: created$/m);
      const info = await jsm.streams.info("QTS_TEST");
      assert.deepEqual(info.config.subjects, ["qts.snapshots.>"]);
      assert.equal(info.config.max_age, 3600 * 1e9);
      assert.equal(info.config.max_bytes, 64 * 1024 * 1024);
      assert.equal(info.config.duplicate_window, 60 * 1e9);
      assert.equal(info.config.num_replicas, 1);
      assert.equal(info.config.storage, "file");
      const consumer = await jsm.consumers.info("QTS_TEST", "observers");
      assert.equal(consumer.config.ack_policy, "explicit");
      const again = await streamCreate(net);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /^stream QTS_TEST: updated /m);
      assert.match(again.stdout, /^consumer observers: exists$/m);
    });
  },
});
