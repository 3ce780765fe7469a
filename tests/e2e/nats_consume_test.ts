import assert from "node:assert/strict";
import { join } from "node:path";
import { jetstream } from "@nats-io/jetstream";
import { natsConfigText, natsServerUnavailable } from "../helpers/nats.ts";
import { withNatsProject } from "../helpers/nats_project.ts";
import { canMountTmpfs, fill, mountTmpfs, unmount } from "../helpers/tmpfs.ts";
import { snapshotLine } from "../helpers/snapshot_file.ts";
import {
  copyProject,
  fileLines,
  observerDir,
  parseFieldsLine,
  parseSummaryLine,
  runScript,
  spawnScript,
} from "../helpers/project.ts";

const unavailable = natsServerUnavailable();
const decoder = new TextDecoder();

/** Waits until `check` holds (checked every 100 ms, 60 s at most). */
async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

Deno.test("consume refuses a sink whose queue drops its oldest records when full (such a record's message may be acked already): exit 2, naming the sink, nothing written", async () => {
  const root = await copyProject();
  const config = join(root, "drop_oldest.json");
  await Deno.writeTextFile(
    config,
    natsConfigText("nats://127.0.0.1:4222", [
      { type: "jsonl", name: "all", file: "c.jsonl", when_full: "drop_oldest" },
    ]),
  );
  const run = await runScript(root, {
    task: "observer",
    script: "observer.ts",
    args: ["consume", "--config", config, "--instance", "t"],
  });
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, /sink "all": consume cannot use when_full "drop_oldest"/);
  assert.deepEqual([...Deno.readDirSync(observerDir(root))], []);
});

for (const workers of ["1", "2"]) {
  Deno.test({
    name: `main.ts --publish then observer.ts consume --workers ${workers}: every snapshot ` +
      "recorded once and acked; bad messages dead-lettered with their stream sequence and " +
      "acked; a message holding line ends recorded whole; SIGTERM drains",
    ignore: unavailable !== undefined,
    fn: () => consumeOnce(workers),
  });
}

async function consumeOnce(workers: string) {
  await withNatsProject(async ({ server, root, config, net, nc, jsm, streamCreate }) => {
    const created = await streamCreate(net);
    assert.equal(created.code, 0, created.stderr);
    const denied = await runScript(root, {
      task: "run",
      script: "main.ts",
      args: ["--publish", server.url, "--ticks", "5"],
    });
    assert.equal(denied.code, 2, denied.stderr);
    assert.match(denied.stderr, new RegExp(`--allow-net=127\\.0\\.0\\.1:${server.port}`));
    const published = await runScript(root, {
      task: "run",
      script: "main.ts",
      args: ["--publish", server.url, "--symbols", "005930,000660", "--ticks", "500"],
      extraNet: net,
    });
    assert.equal(published.code, 0, published.stderr);
    const summary = parseSummaryLine(published.stdout);
    assert.equal(summary.published, "1000");
    assert.equal(summary.not_written, "0");
    const js = jetstream(nc);
    await js.publish("qts.snapshots.market.bad", "not json at all");
    // A snapshot with NaN: blocked by validation.
    const blocked =
      '{"meta":{"timestamp":"2026-01-26T03:00:00.000Z","timestamp_ms":1769396400000,' +
      '"session_id":"s","run_id":"nan-1","mode":"DEV","observer_version":"v1.0.0"},' +
      '"context":{"source":"market","stage":"raw","symbol":"X"},' +
      '"observation":{"inputs":{"price":NaN},"computed":{},"state":{}}}';
    await js.publish("qts.snapshots.market.X", blocked);
    // Laid out over several lines: one message, one snapshot, recorded as it came.
    const pretty = JSON.stringify(JSON.parse(blocked.replace("NaN", "70000")), null, 2)
      .replace('"nan-1"', '"pretty-1"');
    await js.publish("qts.snapshots.market.X", pretty);

    const consumer = await spawnScript(root, {
      task: "observer",
      script: "observer.ts",
      args: ["consume", "--config", config, "--instance", "a", "--workers", workers],
      extraNet: net,
    });
    await until("every message is acked", async () => {
      const info = await jsm.consumers.info("QTS_TEST", "observers");
      return info.num_pending === 0 && info.num_ack_pending === 0 &&
        info.delivered.stream_seq === 1003;
    });
    consumer.kill("SIGTERM");
    const output = await consumer.output();
    const stdout = decoder.decode(output.stdout);
    assert.equal(output.code, 1, decoder.decode(output.stderr)); // one rejected, one blocked
    const consumed = parseFieldsLine(stdout, "consume");
    assert.equal(consumed.acked, "1003");
    assert.equal(consumed.rejected, "1");
    assert.equal(consumed.unacked, "0");
    assert.equal(consumed.redelivered, "0");
    const records = await fileLines(join(observerDir(root), "consumed.a.jsonl"));
    assert.equal(records.length, 1001);
    assert.equal(new Set(records.map((l) => JSON.parse(l).snapshot.meta.run_id)).size, 1001);
    assert.deepEqual(
      JSON.parse(records[1000]).snapshot,
      JSON.parse(pretty),
      "the last message's snapshot recorded last",
    );
    const letters = (await fileLines(join(observerDir(root), "consumed.a.rejected.jsonl")))
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      letters.map((e) => [e.kind, e.input, e.line, e.text]),
      [
        ["rejected", "nats:QTS_TEST", 1001, "not json at all"],
        ["blocked", "nats:QTS_TEST", 1002, blocked],
      ],
    );
  });
}

Deno.test({
  name: "two consume processes share the durable consumer; one SIGKILLed mid-batch: its " +
    "messages are redelivered to the other and merge gives every snapshot exactly once",
  ignore: unavailable !== undefined,
  async fn() {
    await withNatsProject(async ({ root, config, net, jsm, streamCreate, server }) => {
      assert.equal((await streamCreate(net)).code, 0);
      const total = 20_000;
      const published = await runScript(root, {
        task: "run",
        script: "main.ts",
        args: [
          "--publish",
          server.url,
          "--symbols",
          "005930,000660,035420,051910",
          "--ticks",
          String(total / 4),
        ],
        extraNet: net,
      });
      assert.equal(parseSummaryLine(published.stdout).published, String(total), published.stderr);
      const consume = (instance: string) =>
        spawnScript(root, {
          task: "observer",
          script: "observer.ts",
          args: ["consume", "--config", config, "--instance", instance],
          extraNet: net,
        });
      const a = await consume("a");
      const b = await consume("b");
      const fileA = join(observerDir(root), "consumed.a.jsonl");
      await until(
        "consumer a recorded some",
        async () => (await Deno.stat(fileA).then((s) => s.size, () => 0)) > 2_000_000,
      );
      a.kill("SIGKILL");
      assert.equal((await a.output()).signal, "SIGKILL");
      await until("every message is acked", async () => {
        const info = await jsm.consumers.info("QTS_TEST", "observers");
        return info.num_pending === 0 && info.num_ack_pending === 0;
      });
      b.kill("SIGTERM");
      const outB = await b.output();
      const stdoutB = decoder.decode(outB.stdout);
      assert.equal(outB.code, 0, decoder.decode(outB.stderr));
      assert.ok(Number(parseFieldsLine(stdoutB, "consume").redelivered) > 0, stdoutB);

      const merged = await runScript(root, {
        task: "observer",
        script: "observer.ts",
        args: ["merge", "--file", "all.jsonl", fileA, join(observerDir(root), "consumed.b.jsonl")],
      });
      assert.match(merged.stdout, /^summary: /m, merged.stderr);
      const summary = parseSummaryLine(merged.stdout);
      // A torn last line in a's file (killed mid-write) is reported; it was never acked.
      assert.ok(merged.code === 0 || summary.bad_lines === "1", merged.stderr);
      assert.equal(summary.merged, String(total), merged.stdout);
      const ids = (await fileLines(join(observerDir(root), "all.jsonl")))
        .map((l) => JSON.parse(l).snapshot.meta);
      assert.equal(new Set(ids.map((m) => m.run_id)).size, total);
      for (let i = 1; i < ids.length; i++) {
        assert.ok(ids[i - 1].timestamp_ms <= ids[i].timestamp_ms, `ordered at ${i}`);
      }
    }, { consumer: { ack_wait_seconds: 2, batch: 200 } });
  },
});

Deno.test({
  name: "the server killed and restarted mid-stream (file storage): main.ts --publish and " +
    "consume reconnect, and every snapshot is recorded",
  ignore: unavailable !== undefined,
  async fn() {
    await withNatsProject(async ({ root, config, net, jsm, streamCreate, server }) => {
      assert.equal((await streamCreate(net)).code, 0);
      const total = 20_000;
      const consumer = await spawnScript(root, {
        task: "observer",
        script: "observer.ts",
        args: ["consume", "--config", config, "--instance", "r"],
        extraNet: net,
      });
      const publisher = await spawnScript(root, {
        task: "run",
        script: "main.ts",
        args: ["--publish", server.url, "--symbols", "A,B,C,D", "--ticks", String(total / 4)],
        extraNet: net,
      });
      const file = join(observerDir(root), "consumed.r.jsonl");
      await until(
        "the consumer recorded some",
        async () => (await Deno.stat(file).then((s) => s.size, () => 0)) > 1_000_000,
      );
      await server.kill();
      await new Promise((r) => setTimeout(r, 1500));
      await server.start();
      const published = await publisher.output();
      const publishOut = decoder.decode(published.stdout);
      assert.equal(published.code, 0, publishOut + decoder.decode(published.stderr));
      assert.equal(parseSummaryLine(publishOut).published, String(total));
      await until("every message is acked", async () => {
        const info = await jsm.consumers.info("QTS_TEST", "observers").catch(() => undefined);
        return info !== undefined && info.num_pending === 0 && info.num_ack_pending === 0;
      });
      assert.equal((await jsm.streams.info("QTS_TEST")).state.messages, total);
      consumer.kill("SIGTERM");
      const consumed = await consumer.output();
      assert.equal(consumed.code, 0, decoder.decode(consumed.stderr));
      const ids = new Set(
        (await fileLines(file)).map((l) => JSON.parse(l).snapshot.meta.run_id as string),
      );
      assert.equal(ids.size, total);
    }, { consumer: { ack_wait_seconds: 3 } });
  },
});

// A full disk under the consumer's files: a tmpfs (root only; elsewhere the test says why not).
const canMount = await canMountTmpfs();
if (!canMount) console.log("skipped: the consume disk-full test needs to mount a tmpfs (root)");

for (const [workers, whenFull] of [["1", "block"], ["2", "drop_newest"]] as const) {
  Deno.test({
    name: `consume --workers ${workers} on a full disk, when_full ${whenFull}: ` +
      (whenFull === "block"
        ? "the consumer waits while the sink fails (nothing given up on, nothing acked early)"
        : "records given up on while the sink failed are not acked with their group but " +
          "delivered again") +
      "; once space is back every snapshot ends in the file and the run reports no loss",
    ignore: unavailable !== undefined || !canMount,
    async fn() {
      await withNatsProject(async ({ root, config, net, nc, jsm, streamCreate }) => {
        assert.equal((await streamCreate(net)).code, 0);
        const total = 5_000;
        const dir = observerDir(root);
        await mountTmpfs(dir, "16m");
        try {
          const consumer = await spawnScript(root, {
            task: "observer",
            script: "observer.ts",
            args: ["consume", "--config", config, "--instance", "f", "--workers", workers],
            extraNet: net,
          });
          const file = join(dir, "consumed.f.jsonl");
          await until(
            "the consumer opened its file",
            () => Deno.stat(file).then(() => true, () => false),
          );
          // The disk is full before the snapshots come: the sink fails, its queue (256 KiB)
          // overflows, and what does not fit is given up on (counted, not written).
          const filler = await fill(dir);
          const js = jetstream(nc);
          for (let i = 0; i < total; i += 250) {
            await Promise.all(
              Array.from(
                { length: 250 },
                (_, k) =>
                  js.publish("qts.snapshots.market.A", snapshotLine(i + k), {
                    msgID: `r${i + k}`,
                  }),
              ),
            );
          }
          await new Promise((r) => setTimeout(r, 2000));
          await Deno.remove(filler);
          const acked = await until("every message is acked", async () => {
            const info = await jsm.consumers.info("QTS_TEST", "observers");
            return info.num_pending === 0 && info.num_ack_pending === 0;
          }).then(() => undefined, (error) => error);
          try {
            consumer.kill("SIGTERM");
          } catch {
            // It ended by itself (the failure below says how).
          }
          const output = await consumer.output();
          const stdout = decoder.decode(output.stdout);
          if (acked !== undefined) {
            const info = await jsm.consumers.info("QTS_TEST", "observers");
            throw new Error(
              `${acked.message}: pending ${info.num_pending}, ack pending ${info.num_ack_pending}; ` +
                stdout + decoder.decode(output.stderr).slice(-3000),
            );
          }
          // Given up on by the sink, but left unacked and delivered again: not a loss, and the
          // run's totals and exit code say so (not_written=5010 with exit 1 was a false alarm).
          const summary = parseSummaryLine(stdout);
          if (whenFull === "block") {
            assert.equal(summary.redelivered, undefined, `nothing given up on: ${stdout}`);
          } else {
            assert.ok(Number(summary.redelivered) > 0, `some given up, redelivered: ${stdout}`);
            assert.ok(Number(parseFieldsLine(stdout, "consume").redelivered) > 0, stdout);
          }
          assert.deepEqual([summary.not_written, summary.dropped], ["0", "0"], stdout);
          assert.equal(output.code, 0, decoder.decode(output.stderr).slice(-3000));
          const ids = new Set(
            (await fileLines(file))
              .map((l) => JSON.parse(l).snapshot.meta.run_id as string),
          );
          assert.equal(ids.size, total, "every snapshot recorded at least once");
        } finally {
          await unmount(dir);
        }
      }, {
        consumer: { ack_wait_seconds: 2, batch: 100 },
        sinks: [{
          type: "jsonl",
          file: "consumed.jsonl",
          fsync: "always",
          queue_bytes: 262144,
          when_full: whenFull,
        }],
      });
    },
  });
}
