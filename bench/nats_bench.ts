/**
 * The NATS rows of `deno task bench` (j–l), each against a baseline measured in the same run on a
 * private `nats-server` (free loopback port, temporary file storage; `--skip-nats` leaves them out):
 *
 *   j. snapshots/s published by `main.ts --publish` (process start to exit, every publish acked)
 *      against a bare JetStream publisher in this process with the same ack window (256)
 *   k. records/s of one and of two `observer.ts consume` processes (fsync always; start until every
 *      message is acked) against a bare consumer that only acks
 *   l. latency from publish to the record being on disk, at a steady 20,000 snapshots/s
 *
 * @module
 */

import { join } from "node:path";
import { jetstream, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { NATS_PUBLISH_DEFAULTS } from "../src/nats/settings.ts";
import { applyStream } from "../src/nats/stream_setup.ts";
import { manager, natsConfigText, startNatsServer, testConnection } from "../tests/helpers/nats.ts";
import { copyProject, observerDir, spawnScript } from "../tests/helpers/project.ts";
import { snapshotLine } from "../tests/helpers/snapshot_file.ts";

/** One printed row: what, result, ratio and target. */
export type BenchRow = [string, string, string];

const STREAM = "QTS_TEST";
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const fmt = (x: number, digits = 0) =>
  x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

async function freshStream(jsm: JetStreamManager, url: string): Promise<void> {
  await jsm.streams.delete(STREAM).catch(() => {});
  const { NATS_STREAM_DEFAULTS } = await import("../src/nats/settings.ts");
  await applyStream(jsm, {
    ...NATS_STREAM_DEFAULTS,
    name: STREAM,
    subjects: ["qts.snapshots.>"],
    maxBytes: 2 * 1024 * 1024 * 1024,
  });
  void url;
}

/** j, bare: `n` snapshot lines published with the publisher's ack window; snapshots/s. */
async function barePublish(nc: NatsConnection, n: number): Promise<number> {
  const js = jetstream(nc);
  const lines = Array.from({ length: n }, (_, i) => snapshotLine(i));
  const t0 = performance.now();
  let outstanding = 0;
  let room: (() => void) | undefined;
  for (let i = 0; i < n; i++) {
    while (outstanding >= NATS_PUBLISH_DEFAULTS.ackWindow) {
      await new Promise<void>((r) => room = r);
    }
    outstanding++;
    js.publish("qts.snapshots.market.005930", lines[i], { msgID: `r${i}` }).finally(() => {
      outstanding--;
      room?.();
      room = undefined;
    });
  }
  while (outstanding > 0) await new Promise<void>((r) => room = r);
  return n / ((performance.now() - t0) / 1000);
}

/** j: `main.ts --publish` of `n` snapshots, process start to exit; snapshots/s. */
async function mainPublish(root: string, url: string, port: number, n: number): Promise<number> {
  const t0 = performance.now();
  const child = await spawnScript(root, {
    task: "run",
    script: "main.ts",
    args: [
      "--publish",
      url,
      "--symbols",
      "A,B,C,D",
      "--ticks",
      String(n / 4),
      "--log-level",
      "warning",
    ],
    extraNet: [`127.0.0.1:${port}`],
  });
  const output = await child.output();
  const seconds = (performance.now() - t0) / 1000;
  const text = new TextDecoder().decode(output.stdout);
  if (!text.includes(`published=${n} `)) throw new Error(`main.ts --publish: ${text}`);
  return n / seconds;
}

async function untilAcked(jsm: JetStreamManager, durable: string, n: number): Promise<void> {
  while (true) {
    const info = await jsm.consumers.info(STREAM, durable);
    if (info.ack_floor.stream_seq >= n && info.num_ack_pending === 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** k, bare: a pull consumer that only acks `n` messages; messages/s. */
async function bareConsume(nc: NatsConnection, jsm: JetStreamManager, n: number): Promise<number> {
  await jsm.consumers.delete(STREAM, "bare").catch(() => {});
  await jsm.consumers.add(STREAM, { durable_name: "bare", ack_policy: "explicit" });
  const t0 = performance.now();
  const consumer = await jetstream(nc).consumers.get(STREAM, "bare");
  const messages = await consumer.consume({ max_messages: 500 });
  let seen = 0;
  for await (const m of messages) {
    m.ack();
    if (++seen === n) break;
  }
  await untilAcked(jsm, "bare", n);
  return n / ((performance.now() - t0) / 1000);
}

/** k: `processes` consume processes recording `n` messages until all are acked; records/s. */
async function consumeProcesses(
  root: string,
  config: string,
  port: number,
  jsm: JetStreamManager,
  n: number,
  processes: number,
): Promise<number> {
  await jsm.consumers.delete(STREAM, "observers").catch(() => {});
  for (const entry of Deno.readDirSync(observerDir(root))) {
    if (entry.name.startsWith("consumed.")) await Deno.remove(join(observerDir(root), entry.name));
  }
  const t0 = performance.now();
  const children = await Promise.all(
    Array.from({ length: processes }, (_, i) =>
      spawnScript(root, {
        task: "observer",
        script: "observer.ts",
        args: ["consume", "--config", config, "--instance", `p${i}`, "--log-level", "warning"],
        extraNet: [`127.0.0.1:${port}`],
      })),
  );
  while (true) {
    const info = await jsm.consumers.info(STREAM, "observers").catch(() => undefined);
    if (info !== undefined && info.ack_floor.stream_seq >= n && info.num_ack_pending === 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const seconds = (performance.now() - t0) / 1000;
  for (const child of children) child.kill("SIGTERM");
  await Promise.all(children.map((c) => c.output()));
  return n / seconds;
}

/** l: publish at `rate`/s for `seconds` while one consume process records; latencies in ms. */
async function latency(
  nc: NatsConnection,
  root: string,
  config: string,
  port: number,
  jsm: JetStreamManager,
  rate: number,
  seconds: number,
): Promise<{ p50: number; p99: number; achieved: number }> {
  await jsm.consumers.delete(STREAM, "observers").catch(() => {});
  await jsm.streams.purge(STREAM);
  const file = join(observerDir(root), "consumed.lat.jsonl");
  await Deno.remove(file).catch(() => {});
  const child = await spawnScript(root, {
    task: "observer",
    script: "observer.ts",
    args: ["consume", "--config", config, "--instance", "lat", "--log-level", "warning"],
    extraNet: [`127.0.0.1:${port}`],
  });
  while (!(await Deno.stat(file).then(() => true, () => false))) {
    await new Promise((r) => setTimeout(r, 10));
  }
  const sent = new Map<string, number>();
  const latencies: number[] = [];
  const total = rate * seconds;
  let tail = "";
  let offset = 0;
  const reader = await Deno.open(file);
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(1 << 20);
  const poll = async () => {
    while (true) {
      await reader.seek(offset, Deno.SeekMode.Start);
      const got = await reader.read(buffer);
      if (got === null || got === 0) return;
      offset += got;
      tail += decoder.decode(buffer.subarray(0, got), { stream: true });
      const lines = tail.split("\n");
      tail = lines.pop()!;
      const now = performance.now();
      for (const line of lines) {
        const id = /"run_id":"([^"]+)"/.exec(line)?.[1];
        const at = id === undefined ? undefined : sent.get(id);
        if (at !== undefined) latencies.push(now - at);
      }
    }
  };
  const js = jetstream(nc);
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / rate;
    while (performance.now() < due) {
      await poll();
      await new Promise((r) => setTimeout(r, 1));
    }
    const line = snapshotLine(i).replace('"run_id":"r', '"run_id":"lat');
    sent.set(`lat${i}`, performance.now());
    js.publish("qts.snapshots.market.005930", line, { msgID: `lat${i}` }).catch(() => {});
  }
  const achieved = total / ((performance.now() - t0) / 1000);
  while (latencies.length < total && performance.now() - t0 < (seconds + 10) * 1000) {
    await poll();
    await new Promise((r) => setTimeout(r, 2));
  }
  reader.close();
  child.kill("SIGTERM");
  await child.output();
  latencies.sort((a, b) => a - b);
  return {
    p50: latencies[Math.floor(latencies.length / 2)],
    p99: latencies[Math.floor(latencies.length * 0.99)],
    achieved,
  };
}

/**
 * Rows j–l: `n` snapshots a contestant, `rounds` rounds alternating (medians), latency at `rate`
 * per second for `seconds`.
 */
export async function natsBenchRows(
  n: number,
  rounds: number,
  rate: number,
  seconds: number,
): Promise<BenchRow[]> {
  const server = await startNatsServer();
  const root = await copyProject();
  const nc = await testConnection([server.url]);
  try {
    const jsm = await manager(nc);
    const config = join(root, "nats.json");
    await Deno.writeTextFile(config, natsConfigText(server.url));
    const bare: number[] = [];
    const main: number[] = [];
    const bareConsumer: number[] = [];
    const one: number[] = [];
    const two: number[] = [];
    for (let round = 0; round < rounds; round++) {
      await freshStream(jsm, server.url);
      bare.push(await barePublish(nc, n));
      await freshStream(jsm, server.url);
      main.push(await mainPublish(root, server.url, server.port, n));
      bareConsumer.push(await bareConsume(nc, jsm, n));
      one.push(await consumeProcesses(root, config, server.port, jsm, n, 1));
      two.push(await consumeProcesses(root, config, server.port, jsm, n, 2));
    }
    const lat = await latency(nc, root, config, server.port, jsm, rate, seconds);
    const cores = navigator.hardwareConcurrency;
    return [
      [
        `j. main.ts --publish, ${fmt(n)} snapshots (process start to exit)`,
        `${fmt(median(main))} snap/s`,
        `vs bare JetStream publisher (window ${NATS_PUBLISH_DEFAULTS.ackWindow}) ${
          fmt(median(bare))
        } snap/s: ratio ${fmt(median(main) / median(bare), 2)} (target ≥ 0.80)`,
      ],
      [
        `k. observer.ts consume, 1 process (fsync always), ${fmt(n)} messages`,
        `${fmt(median(one))} rec/s`,
        `vs bare consumer that only acks ${fmt(median(bareConsumer))} msg/s: ratio ${
          fmt(median(one) / median(bareConsumer), 2)
        } (target ≥ 0.70)`,
      ],
      [
        `   2 consume processes (${cores} cores)`,
        `${fmt(median(two))} rec/s`,
        `ratio ${fmt(median(two) / median(one), 2)} of one process (target ≥ 1.5 with the cores)`,
      ],
      [
        `l. latency publish → record on disk at ${fmt(rate)}/s (achieved ${fmt(lat.achieved)}/s)`,
        `p50 ${fmt(lat.p50, 1)} ms, p99 ${fmt(lat.p99, 1)} ms`,
        "",
      ],
    ];
  } finally {
    await nc.close();
    await server.destroy();
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
}
