import assert from "node:assert/strict";
import { join } from "node:path";
import { buildPatternRecord, DEFAULT_RECORD_STAMP } from "../../src/contract/pattern_record.ts";
import { buildSnapshot } from "../../src/contract/snapshot.ts";
import { DiscardPolicy } from "@nats-io/jetstream";
import { Follower } from "../../src/follow/follower.ts";
import { getObserverLogger } from "../../src/log/logging.ts";
import { NatsWriter } from "../../src/nats/nats_writer.ts";
import { NATS_STREAM_DEFAULTS } from "../../src/nats/settings.ts";
import type { BatchDestination, LoggedRecord } from "../../src/sinks/sink.ts";
import { natsServerUnavailable, storedMessageIds, withStream } from "../helpers/nats.ts";
import { recordLine, syntheticRecord, syntheticSnapshot } from "../helpers/snapshot_file.ts";
import { recordLines } from "../helpers/record_lines.ts";
import { tempDir } from "../helpers/temp.ts";

const unavailable = natsServerUnavailable();
const logger = getObserverLogger("test");

const logged = (i: number): LoggedRecord => ({ record: syntheticRecord(i), line: recordLine(i) });
const batch = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => logged(from + i));
const ids = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `r${from + i}`);

const STREAM = { ...NATS_STREAM_DEFAULTS, subjects: ["qts.>"] };

Deno.test({
  name: "nats writer: one message per record on qts.<payload>.<source>.<symbol>, run_id as " +
    "Nats-Msg-Id, subject tokens sanitized, the snapshot or the record line exactly as logged",
  ignore: unavailable !== undefined,
  async fn() {
    await withStream(STREAM, async ({ server, jsm }) => {
      const odd = buildSnapshot({
        session_id: "s",
        mode: "DEV",
        source: "market",
        stage: "raw",
        symbol: "BRK.B *>",
        timestamp_ms: Date.UTC(2026, 0, 26),
        run_id: "odd-1",
        inputs: { price: 1 },
        computed: {},
        state: {},
      });
      const oddRecord = buildPatternRecord(odd, DEFAULT_RECORD_STAMP, odd.meta.timestamp);
      for (const payload of ["snapshots", "records"] as const) {
        await using writer = new NatsWriter({
          servers: [server.url],
          name: payload,
          logger,
          payload,
        });
        const delivery = await writer.deliver([
          ...batch(0, 50),
          { record: oddRecord, line: JSON.stringify(oddRecord) },
        ]);
        assert.deepEqual(delivery, { refused: 0 });
      }
      // Same run_ids on two subjects of one stream: the duplicate window keeps the first only.
      const info = await jsm.streams.info(STREAM.name);
      assert.equal(info.state.messages, 51);
      const first = await jsm.streams.getMessage(STREAM.name, { seq: 1 });
      assert.equal(first?.subject, "qts.snapshots.market.005930");
      assert.equal(first?.header?.get("Nats-Msg-Id"), "r0");
      assert.equal(first?.string(), JSON.stringify(syntheticSnapshot(0)));
      const last = await jsm.streams.getMessage(STREAM.name, { seq: 51 });
      assert.equal(last?.subject, "qts.snapshots.market.BRK_B___");
      // The snapshot goes out as the log holds it: exact numbers, and a nested key named like
      // the record's next member does not cut it short.
      const line = recordLine(900).replace(
        '"inputs":{',
        '"inputs":{"big":9007199254740993,"x":1.50,"nested":{},"regime_tags":{"a":{}},',
      );
      await using exact = new NatsWriter({ servers: [server.url], name: "exact", logger });
      await exact.deliver([{ record: JSON.parse(line), line }]);
      const sent = await jsm.streams.getMessage(STREAM.name, { seq: 52 });
      assert.equal(
        sent?.string(),
        line.slice('{"snapshot":'.length, line.indexOf(',"regime_tags":{}')),
      );
      assert.match(sent!.string(), /"big":9007199254740993,"x":1\.50,/);
    });
  },
});

Deno.test({
  name: "nats writer: batches handed over before the one before settled publish in call order " +
    "in one window; a batch whose acks time out (the server hung) throws, and so does the one " +
    "after it; sent again they are acknowledged as duplicates and stored once",
  ignore: unavailable !== undefined,
  async fn() {
    await withStream(STREAM, async ({ server, jsm }) => {
      await using writer = new NatsWriter({
        servers: [server.url],
        name: "bus",
        logger,
        ackWindow: 64,
        ackTimeoutMs: 300,
      });
      assert.equal(writer.batchesInFlight, 2);
      const [a, b] = await Promise.all([
        writer.deliver(batch(0, 500)),
        writer.deliver(batch(500, 1000)),
      ]);
      assert.deepEqual([a, b], [{ refused: 0 }, { refused: 0 }]);
      assert.deepEqual(await storedMessageIds(jsm, STREAM.name), ids(0, 1000));
      server.pause();
      const first = writer.deliver(batch(1000, 1500));
      const second = writer.deliver(batch(1500, 2000));
      await assert.rejects(first, /no publish ack from NATS within 300 ms/);
      await assert.rejects(second, /no publish ack from NATS within 300 ms/);
      server.resume();
      await writer.deliver(batch(1000, 1500));
      await writer.deliver(batch(1500, 2000));
      const stored = await storedMessageIds(jsm, STREAM.name);
      assert.equal(stored.length, 2000);
      assert.deepEqual(new Set(stored), new Set(ids(0, 2000)));
    });
  },
});

Deno.test({
  name: "nats writer: publishes the server refuses (no stream takes the subject; the stream " +
    "is full) make the batch throw, saying why; a record over max_payload is refused and " +
    "counted, the records around it published",
  ignore: unavailable !== undefined,
  async fn() {
    await withStream(
      { ...STREAM, subjects: ["qts.snapshots.>"], maxBytes: 64 * 1024 },
      async ({ server, jsm }) => {
        await using elsewhere = new NatsWriter({
          servers: [server.url],
          name: "elsewhere",
          logger,
          subjectPrefix: "other",
        });
        await assert.rejects(
          elsewhere.deliver(batch(0, 3)),
          /no JetStream stream takes this subject/,
        );

        await using writer = new NatsWriter({ servers: [server.url], name: "bus", logger });
        const big = syntheticRecord(1);
        big.snapshot.observation.inputs.blob = "x".repeat(1_100_000);
        const delivery = await writer.deliver([logged(0), { record: big, line: "{}" }, logged(2)]);
        assert.deepEqual(delivery, { refused: 1 });
        assert.deepEqual(await storedMessageIds(jsm, STREAM.name), ["r0", "r2"]);

        await jsm.streams.update(STREAM.name, { discard: DiscardPolicy.New });
        await assert.rejects(
          writer.deliver(batch(100, 300)),
          /the stream refused the publish: .*maximum bytes/i,
        );
      },
    );
  },
});

Deno.test({
  name: "nats follower: the server killed and restarted mid-delivery (file storage): the " +
    "follower falls behind while it is down and every record is in the stream exactly once",
  ignore: unavailable !== undefined,
  async fn() {
    await withStream(STREAM, async ({ server, jsm }) => {
      const dir = await tempDir("follow-nats");
      let text = "";
      for (let i = 0; i < 6000; i++) text += recordLine(i) + "\n";
      await Deno.writeTextFile(join(dir, "log.jsonl"), text);
      const follower = await Follower.open({
        name: "bus",
        log: { dir, base: "log" },
        destination: new NatsWriter({
          servers: [server.url],
          name: "bus",
          logger,
          ackTimeoutMs: 500,
        }),
        logger,
        chunkBytes: 32 * 1024,
        backoff: { firstMs: 20, maxMs: 200 },
      });
      const done = follower.run();
      follower.finish();
      while ((await jsm.streams.info(STREAM.name)).state.messages < 1000) {
        await new Promise((r) => setTimeout(r, 5));
      }
      await server.kill();
      while (follower.stats().state !== "failing") await new Promise((r) => setTimeout(r, 10));
      assert.ok((await follower.lag()).bytes > 0, "behind while the server is down");
      await server.start();
      await done;
      await follower.close();
      assert.equal(follower.stats().state, "finished");
      const stored = await storedMessageIds(jsm, STREAM.name);
      assert.equal(stored.length, 6000);
      assert.deepEqual(new Set(stored), new Set(ids(0, 6000)));
    });
  },
});

Deno.test({
  name: "nats follower, two batches in flight: the server killed while both are out loses " +
    "nothing; the batches re-sent are dropped by the stream's duplicate window (Nats-Msg-Id = " +
    "run_id), every record stored once",
  ignore: unavailable !== undefined,
  async fn() {
    await withStream(STREAM, async ({ server, jsm }) => {
      const dir = await tempDir("follow-nats");
      await Deno.writeTextFile(join(dir, "log.jsonl"), recordLines(0, 4000));
      const writer = new NatsWriter({
        servers: [server.url],
        name: "bus",
        logger,
        ackTimeoutMs: 500,
      });
      let inFlight = 0;
      let killed: Promise<void> | undefined;
      // Kills the server the first time a batch is handed over while the one before is out.
      const destination: BatchDestination = {
        name: writer.name,
        description: writer.description,
        batchesInFlight: writer.batchesInFlight,
        async deliver(batch) {
          inFlight++;
          const delivery = writer.deliver(batch);
          if (inFlight === 2 && killed === undefined) killed = server.kill();
          try {
            return await delivery;
          } finally {
            inFlight--;
          }
        },
        close: () => writer.close(),
        [Symbol.asyncDispose]: () => writer.close(),
      };
      const failing = Promise.withResolvers<void>();
      const opened: { follower?: Follower } = {};
      const follower = opened.follower = await Follower.open({
        name: "bus",
        log: { dir, base: "log" },
        destination,
        logger,
        chunkBytes: 32 * 1024,
        backoff: { firstMs: 20, maxMs: 100 },
        onChange: () => opened.follower?.stats().state === "failing" && failing.resolve(),
      });
      const done = follower.run();
      follower.finish();
      await failing.promise;
      await killed;
      assert.ok((await follower.lag()).bytes > 0, "behind while the server is down");
      await server.start();
      await done;
      await follower.close();
      assert.equal(follower.stats().state, "finished");
      assert.equal(follower.stats().deliveredTotal, 4000);
      const stored = await storedMessageIds(jsm, STREAM.name);
      assert.equal(stored.length, 4000, "each record stored once");
      assert.deepEqual(new Set(stored), new Set(ids(0, 4000)));
    });
  },
});
