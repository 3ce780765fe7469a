/**
 * NatsPublisher against real private nats-server processes (never a mock): order, exactly-once
 * storage with the message ids, the ack window, duplicates, refusals over the server's
 * max_payload, and a batch retried after the server was away.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { getObserverLogger } from "../../src/log/logging.ts";
import { NatsPublisher, type NatsPublisherOptions } from "../../src/nats/publisher.ts";
import { NATS_STREAM_DEFAULTS } from "../../src/nats/settings.ts";
import { applyStream } from "../../src/nats/stream_setup.ts";
import {
  manager,
  natsServerUnavailable,
  startNatsServer,
  storedMessageIds,
  testConnection,
  withStream,
} from "../helpers/nats.ts";

const unavailable = natsServerUnavailable();
const logger = getObserverLogger("test");
const STREAM = { ...NATS_STREAM_DEFAULTS, subjects: ["qts.>"] };
const SUBJECT = "qts.snapshots.market.005930";

/** A publisher to `server`'s stream, with the test's logger. */
const publisherOn = (
  server: { readonly url: string },
  options: Partial<NatsPublisherOptions> = {},
) => new NatsPublisher({ servers: [server.url], name: "bus", logger, ...options });

const item = (id: string, payload = `{"run_id":"${id}"}`) => ({
  subject: SUBJECT,
  msgId: id,
  payload,
});

Deno.test({
  name: "nats publisher: items are stored in order, once each, under their message ids; a " +
    "publish again of an id the stream has is acked as a duplicate and stored once",
  ignore: unavailable !== undefined,
  async fn() {
    await withStream(STREAM, async ({ server, jsm }) => {
      const publisher = publisherOn(server, { ackWindow: 7 });
      const ids = Array.from({ length: 300 }, (_, i) => `r${i}`);
      for (const id of ids) await publisher.publish(item(id));
      await publisher.flush();
      for (const id of ids.slice(0, 10)) await publisher.publish(item(id));
      await publisher.close();
      assert.deepEqual(await storedMessageIds(jsm, STREAM.name), ids);
      const stats = publisher.stats();
      assert.equal(stats.written, 310);
      assert.equal(stats.duplicates, 10);
      assert.equal(stats.failed, 0);
      assert.equal(stats.dropped, 0);
    });
  },
});

Deno.test({
  name: "nats publisher: whatever the ack window and flush sizes, every item is stored once, " +
    "in order (property)",
  ignore: unavailable !== undefined,
  async fn() {
    await withStream(STREAM, async ({ server, jsm }) => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: 120 }),
          fc.integer({ min: 1, max: 40 }),
          fc.integer({ min: 64, max: 4096 }),
          async (count, ackWindow, flushBytes) => {
            await jsm.streams.purge(STREAM.name);
            const prefix = `p${run++}-`;
            const ids = Array.from({ length: count }, (_, i) => `${prefix}${i}`);
            await using publisher = publisherOn(server, { ackWindow, flushBytes });
            for (const id of ids) await publisher.publish(item(id));
            await publisher.flush();
            assert.deepEqual(await storedMessageIds(jsm, STREAM.name), ids);
            assert.equal(publisher.stats().written, count);
          },
        ),
        { numRuns: 15 },
      );
    });
  },
});

Deno.test({
  name: "nats publisher: an item over the server's max_payload is refused and counted failed; " +
    "the items around it are stored",
  ignore: unavailable !== undefined,
  async fn() {
    const server = await startNatsServer({ config: "max_payload: 1024\n" });
    const nc = await testConnection([server.url]);
    try {
      const jsm = await manager(nc);
      await applyStream(jsm, STREAM);
      const publisher = publisherOn(server);
      await publisher.publish(item("a"));
      await publisher.publish(
        item("big", JSON.stringify({ run_id: "big", pad: "x".repeat(2000) })),
      );
      await publisher.publish(item("b"));
      await publisher.close();
      assert.deepEqual(await storedMessageIds(jsm, STREAM.name), ["a", "b"]);
      const stats = publisher.stats();
      assert.equal(stats.written, 2);
      assert.equal(stats.failed, 1);
      assert.match(stats.failure ?? "", /exceed the server's max_payload/);
    } finally {
      await nc.close();
      await server.destroy();
    }
  },
});

Deno.test({
  name: "nats publisher: while the server is down the batch fails and is kept; once it is back " +
    "every item is stored exactly once",
  ignore: unavailable !== undefined,
  async fn() {
    await withStream(STREAM, async ({ server, jsm }) => {
      const publisher = publisherOn(server, { ackTimeoutMs: 500 });
      for (let i = 0; i < 20; i++) await publisher.publish(item(`before${i}`));
      await publisher.flush();
      await server.kill();
      for (let i = 0; i < 20; i++) await publisher.publish(item(`during${i}`));
      await assert.rejects(publisher.flush(), /cannot publish to NATS/);
      await server.start();
      // The queue retries with backoff; a flush resolves once the retry went through.
      for (let attempt = 1;; attempt++) {
        try {
          await publisher.flush();
          break;
        } catch (error) {
          if (attempt === 100) throw error;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      await publisher.close();
      const expected = [
        ...Array.from({ length: 20 }, (_, i) => `before${i}`),
        ...Array.from({ length: 20 }, (_, i) => `during${i}`),
      ];
      assert.deepEqual(await storedMessageIds(jsm, STREAM.name), expected);
      assert.equal(publisher.stats().failed, 0);
    });
  },
});
