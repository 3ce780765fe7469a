import assert from "node:assert/strict";
import { join } from "node:path";
import {
  manager,
  natsConfigText,
  natsServerUnavailable,
  retrying,
  startNatsCluster,
  testConnection,
} from "../helpers/nats.ts";
import {
  copyProject,
  fileLines,
  observerDir,
  parseSummaryLine,
  runScript,
  spawnScript,
} from "../helpers/project.ts";

const unavailable = natsServerUnavailable();
const decoder = new TextDecoder();

Deno.test({
  name: "three-node cluster, stream with 3 replicas: one node killed mid-stream; publisher and " +
    "consumer go on through the others and every snapshot is recorded",
  ignore: unavailable !== undefined,
  async fn() {
    const cluster = await startNatsCluster(3);
    const root = await copyProject();
    const survivors = await testConnection(cluster.urls.slice(1));
    try {
      const net = cluster.nodes.map((n) => `127.0.0.1:${n.port}`);
      const config = join(root, "nats.json");
      await Deno.writeTextFile(
        config,
        natsConfigText(cluster.urls, undefined, { ack_wait_seconds: 5 }, 3),
      );
      // A fresh cluster elects its JetStream leader first: try until the stream is made.
      await retrying(async () => {
        const made = await runScript(root, {
          task: "observer",
          script: "observer.ts",
          args: ["stream", "create", "--config", config],
          extraNet: net,
        });
        if (made.code !== 0) throw new Error(made.stderr);
      }, 30_000);
      const total = 40_000;
      const consumer = await spawnScript(root, {
        task: "observer",
        script: "observer.ts",
        args: ["consume", "--config", config, "--instance", "c"],
        extraNet: net,
      });
      const publisher = await spawnScript(root, {
        task: "run",
        script: "main.ts",
        args: [
          "--publish",
          cluster.urls.join(","),
          "--symbols",
          "A,B,C,D",
          "--ticks",
          String(total / 4),
        ],
        extraNet: net,
      });
      const file = join(observerDir(root), "consumed.c.jsonl");
      const deadline = Date.now() + 60_000;
      while ((await Deno.stat(file).then((s) => s.size, () => 0)) < 3_000_000) {
        if (Date.now() > deadline) throw new Error("the consumer recorded nothing");
        await new Promise((r) => setTimeout(r, 50));
      }
      await cluster.nodes[0].kill();
      const published = await publisher.output();
      const publishOut = decoder.decode(published.stdout);
      assert.equal(published.code, 0, publishOut + decoder.decode(published.stderr));
      assert.equal(parseSummaryLine(publishOut).published, String(total));
      const jsm = await manager(survivors);
      await retrying(async () => {
        const info = await jsm.consumers.info("QTS_TEST", "observers");
        if (info.num_pending !== 0 || info.num_ack_pending !== 0) throw new Error("not yet");
      }, 60_000);
      const stream = await jsm.streams.info("QTS_TEST");
      assert.equal(stream.state.messages, total);
      consumer.kill("SIGTERM");
      const consumed = await consumer.output();
      assert.equal(consumed.code, 0, decoder.decode(consumed.stderr));
      const ids = new Set(
        (await fileLines(file)).map((l) => JSON.parse(l).snapshot.meta.run_id as string),
      );
      assert.equal(ids.size, total);
    } finally {
      await survivors.close();
      await cluster.destroy();
    }
  },
});
