import assert from "node:assert/strict";
import { join } from "node:path";
import {
  manager,
  natsServerUnavailable,
  startNatsServer,
  testConnection,
} from "../helpers/nats.ts";
import { copyProject, runScript } from "../helpers/project.ts";

const unavailable = natsServerUnavailable();

/** A configuration with a nats block for a server at `url`. */
export function natsConfigText(url: string, sinks: unknown[] = [
  { type: "jsonl", file: "consumed.jsonl", fsync: "always" },
], consumer: Record<string, unknown> = {}): string {
  return JSON.stringify({
    nats: {
      servers: [url],
      stream: {
        name: "QTS_TEST",
        subjects: ["qts.snapshots.>"],
        storage: "file",
        retention: "limits",
        max_age_seconds: 3600,
        max_bytes: 64 * 1024 * 1024,
        duplicate_window_seconds: 60,
        replicas: 1,
      },
      consumer: { durable: "observers", ...consumer },
    },
    sinks,
  });
}

Deno.test({
  name: "stream create: makes the stream with the explicit limits and the durable consumer; " +
    "a second run updates it; a server the task may not reach exits 2 naming the flag",
  ignore: unavailable !== undefined,
  async fn() {
    const server = await startNatsServer();
    const root = await copyProject();
    const nc = await testConnection([server.url]);
    try {
      const config = join(root, "nats.json");
      await Deno.writeTextFile(config, natsConfigText(server.url));
      const streamCreate = (extraNet?: string[]) =>
        runScript(root, {
          task: "observer",
          script: "observer.ts",
          args: ["stream", "create", "--config", config],
          extraNet,
        });
      const denied = await streamCreate();
      assert.equal(denied.code, 2, denied.stderr);
      assert.match(denied.stderr, new RegExp(`--allow-net=127\\.0\\.0\\.1:${server.port}`));
      const net = [`127.0.0.1:${server.port}`];
      const first = await streamCreate(net);
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /^stream QTS_TEST: created subjects=qts\.snapshots\.> /m);
      assert.match(first.stdout, /^consumer observers: created$/m);
      const info = await (await manager(nc)).streams.info("QTS_TEST");
      assert.deepEqual(info.config.subjects, ["qts.snapshots.>"]);
      assert.equal(info.config.max_age, 3600 * 1e9);
      assert.equal(info.config.max_bytes, 64 * 1024 * 1024);
      assert.equal(info.config.duplicate_window, 60 * 1e9);
      assert.equal(info.config.num_replicas, 1);
      assert.equal(info.config.storage, "file");
      const consumer = await (await manager(nc)).consumers.info("QTS_TEST", "observers");
      assert.equal(consumer.config.ack_policy, "explicit");
      const again = await streamCreate(net);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /^stream QTS_TEST: updated /m);
      assert.match(again.stdout, /^consumer observers: exists$/m);
    } finally {
      await nc.close();
      await server.destroy();
    }
  },
});
