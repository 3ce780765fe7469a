import assert from "node:assert/strict";
import { join } from "node:path";
import { Follower } from "../../src/follow/follower.ts";
import { getObserverLogger } from "../../src/log/logging.ts";
import { NatsWriter } from "../../src/nats/nats_writer.ts";
import { NATS_STREAM_DEFAULTS } from "../../src/nats/settings.ts";
import { applyStream } from "../../src/nats/stream_setup.ts";
import {
  manager,
  natsServerUnavailable,
  retrying,
  startNatsCluster,
  testConnection,
} from "../helpers/nats.ts";
import { recordLine } from "../helpers/snapshot_file.ts";
import { tempDir } from "../helpers/temp.ts";

const unavailable = natsServerUnavailable();
const logger = getObserverLogger("test");

Deno.test({
  name: "nats follower: the stream leader of a 3-node R3 cluster killed mid-delivery of 20,000 " +
    "records: the follower goes on through the other nodes and every record is in the stream " +
    "exactly once",
  ignore: unavailable !== undefined,
  async fn() {
    const cluster = await startNatsCluster(3);
    const client = await testConnection(cluster.urls);
    try {
      const stream = { ...NATS_STREAM_DEFAULTS, subjects: ["qts.>"], replicas: 3 };
      const jsm = await manager(client);
      // A fresh cluster elects its JetStream leader first: try until the stream is made.
      await retrying(() => applyStream(jsm, stream), 30_000);
      const total = 20_000;
      const dir = await tempDir("follow-cluster");
      let text = "";
      for (let i = 0; i < total; i++) text += recordLine(i) + "\n";
      await Deno.writeTextFile(join(dir, "log.jsonl"), text);
      const follower = await Follower.open({
        name: "bus",
        log: { dir, base: "log" },
        destination: new NatsWriter({
          servers: cluster.urls,
          name: "bus",
          logger,
          ackTimeoutMs: 1000,
        }),
        logger,
        chunkBytes: 64 * 1024,
        backoff: { firstMs: 50, maxMs: 500 },
      });
      const done = follower.run();
      follower.finish();
      let leader: string | undefined;
      await retrying(async () => {
        const info = await jsm.streams.info(stream.name);
        if (info.state.messages < 3000) throw new Error("not yet");
        leader = info.cluster?.leader;
      }, 60_000);
      const node = cluster.nodes.find((n) => nameOf(n) === leader);
      assert.ok(node, `the stream leader ${leader} is one of the nodes`);
      await node.kill();
      await done;
      await follower.close();
      assert.equal(follower.stats().state, "finished");
      await retrying(async () => {
        const info = await jsm.streams.info(stream.name);
        assert.equal(info.state.messages, total, "every record once (none lost, none twice)");
      }, 30_000);
    } finally {
      await client.close().catch(() => {});
      await cluster.destroy();
    }
  },
});

/** The server name a node of `startNatsCluster` runs under (`n1`, `n2`, ...). */
function nameOf(node: { storeDir: string }): string {
  return node.storeDir.split("/").pop()!;
}
