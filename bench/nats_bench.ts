/**
 * The NATS rows of `deno task bench` (j–l), each against a baseline measured in the same run on a
 * private `nats-server` (free loopback port, temporary file storage; `--skip-nats` leaves them out).
 * Every contestant of j and k is a process of its own, timed from its start until its work is
 * done (startup and connection included), so that none is favoured by sharing the bench's
 * warmed-up process:
 *
 *   j. snapshots/s published by `main.ts --publish` (start to exit, every publish acked) against
 *      bare publishers with the same ack window (256) (bench/bare_nats.ts) of the same
 *      snapshots, made by the same simulated session in the loop: one with the project's
 *      publish technique (acks on one inbox, see src/nats/pub_ack_inbox.ts; the ratio's
 *      baseline) and one with the client library's `JetStreamClient.publish`; and, printed
 *      beside, the bare inbox publisher of the shorter synthetic lines the other rows use
 *      (cheaper to make, 13 % smaller, short run_ids: the baseline of earlier runs)
 *   j2. records/s of `observer.ts follow` with a nats sink catching up a log of the synthetic
 *      records (start to exit, from an empty checkpoint) against the bare inbox publisher of the
 *      same snapshots
 *   k. records/s of one and of two `observer.ts consume` processes (fsync always; start until every
 *      message is acked; the default --workers, and one process with --workers 1 beside) against
 *      a bare consumer process that only acks, same pull batch
 *   l. latency from publish to the record being in the file, at a steady offered rate (20,000/s):
 *      a paced publisher in this process publishes what is due every millisecond with its send
 *      time kept, and reads the growing file between ticks; a record's latency is the time it
 *      was first seen there minus its send time. The rate achieved and the records seen are
 *      printed with it.
 *
 * @module
 */

import { join } from "node:path";
import { AckPolicy, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { PubAckInbox } from "../src/nats/pub_ack_inbox.ts";
import {
  NATS_CONSUMER_DEFAULTS,
  NATS_PUBLISH_DEFAULTS,
  NATS_STREAM_DEFAULTS,
} from "../src/nats/settings.ts";
import { applyStream } from "../src/nats/stream_setup.ts";
import { manager, natsConfigText, startNatsServer, testConnection } from "../tests/helpers/nats.ts";
import {
  copyProject,
  observerDir,
  PROJECT_ROOT,
  spawnScript,
  taskPermissionFlags,
} from "../tests/helpers/project.ts";
import { snapshotLine } from "../tests/helpers/snapshot_file.ts";
import { fmt, median } from "./bench_format.ts";

/** One printed row: what, result, ratio and target. */
export type BenchRow = [string, string, string];

const STREAM = "QTS_TEST";

/** User + system CPU seconds a process has used so far (Linux /proc). */
function cpuSeconds(pid: number): number {
  const fields = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Busy and total CPU time of the whole machine so far, all cores (Linux /proc/stat, ticks). */
function machineTicks(): { busy: number; total: number } {
  const fields = Deno.readTextFileSync("/proc/stat").split("\n")[0].trim().split(/\s+/).slice(1)
    .map(Number);
  const total = fields.reduce((sum, v) => sum + v, 0);
  // idle and iowait are the idle time; the rest (user, nice, system, irq, softirq, steal) is work.
  return { busy: total - fields[3] - fields[4], total };
}

/** How many of the machine's cores were busy between two {@linkcode machineTicks} samples. */
function busyCores(from: { busy: number; total: number }): number {
  const to = machineTicks();
  return ((to.busy - from.busy) / (to.total - from.total)) * navigator.hardwareConcurrency;
}

/** A process's CPU seconds, sampled every 10 ms until it exits (the last sample). */
async function cpuUntilExit(child: Deno.ChildProcess): Promise<number> {
  let exited = false;
  const status = child.status.then(() => exited = true);
  let cpu = 0;
  while (!exited) {
    try {
      cpu = cpuSeconds(child.pid);
    } catch {
      break; // gone between two samples
    }
    await Promise.race([status, new Promise((r) => setTimeout(r, 10))]);
  }
  return cpu;
}

/** bench/bare_nats.ts as a process with the `run` task's flags (and access to `port`). */
async function spawnBare(port: number, args: string[]): Promise<Deno.ChildProcess> {
  const flags = (await taskPermissionFlags("run")).map((flag) =>
    flag.startsWith("--allow-net=") ? `${flag},127.0.0.1:${port}` : flag
  );
  return new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, join(PROJECT_ROOT, "bench", "bare_nats.ts"), ...args],
    cwd: PROJECT_ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/**
 * One contestant's run: its rate, its CPU seconds per 10,000 items and how many cores the whole
 * machine had busy meanwhile (every process: nats-server, the bench, anything else running).
 */
export interface Run {
  readonly rate: number;
  readonly cpuPer10k: number;
  readonly busyCores: number;
}

const run = (n: number, seconds: number, cpu: number, busy = NaN): Run => ({
  rate: n / seconds,
  cpuPer10k: (cpu * 10_000) / n,
  busyCores: busy,
});

/** Deletes the bench stream and makes it again, empty. */
export async function freshStream(jsm: JetStreamManager): Promise<void> {
  await jsm.streams.delete(STREAM).catch(() => {});
  await applyStream(jsm, {
    ...NATS_STREAM_DEFAULTS,
    name: STREAM,
    subjects: ["qts.snapshots.>"],
    maxBytes: 2 * 1024 * 1024 * 1024,
  });
}

/**
 * j, bare: a publisher process (bench/bare_nats.ts) of `n` snapshots, `how` (inbox or client)
 * of `what` (runtime or synthetic); snapshots/s.
 */
export async function barePublish(
  port: number,
  url: string,
  n: number,
  how: string,
  what: string,
): Promise<Run> {
  const t0 = performance.now();
  const child = await spawnBare(port, [
    "publish",
    url,
    String(n),
    String(NATS_PUBLISH_DEFAULTS.ackWindow),
    how,
    what,
  ]);
  const cpu = await cpuUntilExit(child);
  const output = await child.output();
  const seconds = (performance.now() - t0) / 1000;
  if (!output.success) throw new Error(new TextDecoder().decode(output.stderr));
  return run(n, seconds, cpu);
}

/**
 * j2: `observer.ts follow` catching up a log of `n` records into the stream (a nats sink,
 * payload snapshots), process start to exit, from an empty checkpoint; records/s.
 */
export async function followPublish(
  root: string,
  config: string,
  port: number,
  n: number,
): Promise<Run> {
  await Deno.remove(join(observerDir(root), "follow_log.follow.bus.checkpoint.json"))
    .catch(() => {});
  const t0 = performance.now();
  const child = await spawnScript(root, {
    task: "observer",
    script: "observer.ts",
    args: ["follow", "--config", config, "--log-level", "warning"],
    extraNet: [`127.0.0.1:${port}`],
  });
  const cpu = await cpuUntilExit(child);
  const output = await child.output();
  const seconds = (performance.now() - t0) / 1000;
  const text = new TextDecoder().decode(output.stdout);
  if (!text.includes(`written=${n} `)) {
    throw new Error(`observer.ts follow: ${text}${new TextDecoder().decode(output.stderr)}`);
  }
  return run(n, seconds, cpu);
}

/** A project copy's log of `n` records (the synthetic snapshots) and a config that follows it. */
export async function followerSetup(root: string, url: string, n: number): Promise<string> {
  const { recordLine } = await import("../tests/helpers/snapshot_file.ts");
  using file = await Deno.open(join(observerDir(root), "follow_log.jsonl"), {
    write: true,
    create: true,
    truncate: true,
  });
  for (let start = 0; start < n; start += 10_000) {
    let chunk = "";
    for (let i = start; i < Math.min(n, start + 10_000); i++) chunk += recordLine(i) + "\n";
    await file.write(new TextEncoder().encode(chunk));
  }
  const config = join(root, "follow_nats.json");
  await Deno.writeTextFile(
    config,
    JSON.stringify({
      sinks: [
        { type: "jsonl", file: "follow_log.jsonl" },
        { type: "nats", name: "bus", servers: [url] },
      ],
    }),
  );
  return config;
}

/** j: `main.ts --publish` of `n` snapshots, process start to exit; snapshots/s. */
async function mainPublish(root: string, url: string, port: number, n: number): Promise<Run> {
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
  const cpu = await cpuUntilExit(child);
  const output = await child.output();
  const seconds = (performance.now() - t0) / 1000;
  const text = new TextDecoder().decode(output.stdout);
  if (!text.includes(`published=${n} `)) throw new Error(`main.ts --publish: ${text}`);
  return run(n, seconds, cpu);
}

async function untilAcked(jsm: JetStreamManager, durable: string, n: number): Promise<void> {
  while (true) {
    // The consumer may not exist yet: the process being timed makes it.
    const info = await jsm.consumers.info(STREAM, durable).catch(() => undefined);
    if (info !== undefined && info.ack_floor.stream_seq >= n && info.num_ack_pending === 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** k, bare: a consumer process (bench/bare_nats.ts) that acks `n` messages; messages/s. */
async function bareConsume(
  port: number,
  url: string,
  jsm: JetStreamManager,
  n: number,
): Promise<Run> {
  await jsm.consumers.delete(STREAM, "bare").catch(() => {});
  await jsm.consumers.add(STREAM, {
    durable_name: "bare",
    ack_policy: AckPolicy.Explicit,
    max_ack_pending: NATS_CONSUMER_DEFAULTS.maxAckPending,
  });
  const t0 = performance.now();
  const child = await spawnBare(port, [
    "consume",
    url,
    STREAM,
    "bare",
    String(n),
    String(NATS_CONSUMER_DEFAULTS.batch),
  ]);
  const cpu = cpuUntilExit(child);
  await untilAcked(jsm, "bare", n);
  const seconds = (performance.now() - t0) / 1000;
  const output = await child.output();
  if (!output.success) throw new Error(new TextDecoder().decode(output.stderr));
  return run(n, seconds, await cpu);
}

/**
 * k: `processes` consume processes (with `args`, e.g. `--workers 1`) recording `n` messages
 * until all are acked; records/s.
 */
async function consumeProcesses(
  root: string,
  config: string,
  port: number,
  jsm: JetStreamManager,
  n: number,
  processes: number,
  args: string[] = [],
): Promise<Run> {
  await jsm.consumers.delete(STREAM, "observers").catch(() => {});
  for (const entry of Deno.readDirSync(observerDir(root))) {
    if (entry.name.startsWith("consumed.")) await Deno.remove(join(observerDir(root), entry.name));
  }
  const ticks = machineTicks();
  const t0 = performance.now();
  const children = await Promise.all(
    Array.from({ length: processes }, (_, i) =>
      spawnScript(root, {
        task: "observer",
        script: "observer.ts",
        args: [
          "consume",
          "--config",
          config,
          "--instance",
          `p${i}`,
          "--log-level",
          "warning",
          ...args,
        ],
        extraNet: [`127.0.0.1:${port}`],
      })),
  );
  await untilAcked(jsm, "observers", n);
  const seconds = (performance.now() - t0) / 1000;
  const busy = busyCores(ticks);
  // Sampled once everything is acked, before the processes are told to stop.
  const cpu = children.reduce((sum, child) => sum + cpuSeconds(child.pid), 0);
  for (const child of children) child.kill("SIGTERM");
  await Promise.all(children.map((c) => c.output()));
  return run(n, seconds, cpu, busy);
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
): Promise<{ p50: number; p99: number; achieved: number; seen: number; total: number }> {
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
  // Let the consumer finish starting (its first pull is out) before the clock starts.
  await new Promise((r) => setTimeout(r, 500));
  const total = Math.round(rate * seconds);
  const sentAt = new Float64Array(total);
  const latencies: number[] = [];
  const reader = new FileTail(file);
  const poll = async () => {
    const now = performance.now();
    for (const line of await reader.lines()) {
      const i = Number(/"run_id":"lat(\d+)"/.exec(line)?.[1]);
      if (Number.isInteger(i) && i < total) latencies.push(now - sentAt[i]);
    }
  };
  const inbox = new PubAckInbox(nc);
  let failed: Error | undefined;
  const t0 = performance.now();
  let sent = 0;
  while (sent < total) {
    // Every tick publishes what is due by now, then reads what the file gained.
    const due = Math.min(total, Math.floor(((performance.now() - t0) * rate) / 1000) + 1);
    for (; sent < due; sent++) {
      const line = snapshotLine(sent).replace('"run_id":"r', '"run_id":"lat');
      sentAt[sent] = performance.now();
      inbox.publish("qts.snapshots.market.005930", line, `lat${sent}`, (outcome) => {
        if (!outcome.ok) failed ??= outcome.error;
      });
    }
    await poll();
    await new Promise((r) => setTimeout(r, 1));
  }
  const achieved = total / ((performance.now() - t0) / 1000);
  while (latencies.length < total && performance.now() - t0 < (seconds + 10) * 1000) {
    await new Promise((r) => setTimeout(r, 1));
    await poll();
  }
  inbox.close();
  reader.close();
  child.kill("SIGTERM");
  await child.output();
  if (failed !== undefined) throw failed;
  latencies.sort((a, b) => a - b);
  return {
    p50: latencies[Math.floor(latencies.length / 2)],
    p99: latencies[Math.floor(latencies.length * 0.99)],
    achieved,
    seen: latencies.length,
    total,
  };
}

/** The complete lines a growing file gained since the last call. */
class FileTail {
  readonly #file: Deno.FsFile;
  readonly #decoder = new TextDecoder();
  readonly #buffer = new Uint8Array(1 << 20);
  #tail = "";

  constructor(path: string) {
    this.#file = Deno.openSync(path);
  }

  async lines(): Promise<string[]> {
    const lines: string[] = [];
    while (true) {
      const got = await this.#file.read(this.#buffer);
      if (got === null || got === 0) return lines;
      this.#tail += this.#decoder.decode(this.#buffer.subarray(0, got), { stream: true });
      const parts = this.#tail.split("\n");
      this.#tail = parts.pop()!;
      lines.push(...parts);
    }
  }

  close(): void {
    this.#file.close();
  }
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
    const bare: Run[] = [];
    const client: Run[] = [];
    const synthetic: Run[] = [];
    const main: Run[] = [];
    const bareConsumer: Run[] = [];
    const one: Run[] = [];
    const oneThread: Run[] = [];
    const two: Run[] = [];
    const follower: Run[] = [];
    const followConfig = await followerSetup(root, server.url, n);
    // Untimed runs first, so that no round pays for compiling the copy's modules (a user's
    // second start of a checkout does not): the follower's and main.ts's.
    await freshStream(jsm);
    await followPublish(root, followConfig, server.port, n);
    await freshStream(jsm);
    await mainPublish(root, server.url, server.port, 4_000);
    for (let round = 0; round < rounds; round++) {
      await freshStream(jsm);
      client.push(await barePublish(server.port, server.url, n, "client", "runtime"));
      // j2: the follower and the bare publisher of the same synthetic snapshots, alternating.
      const withSynthetic = async () => {
        await freshStream(jsm);
        synthetic.push(await barePublish(server.port, server.url, n, "inbox", "synthetic"));
      };
      const withFollower = async () => {
        await freshStream(jsm);
        follower.push(await followPublish(root, followConfig, server.port, n));
      };
      if (round % 2 === 0) {
        await withSynthetic();
        await withFollower();
      } else {
        await withFollower();
        await withSynthetic();
      }
      // Alternating which of the ratio's two goes first, as in k.
      const withBare = async () => {
        await freshStream(jsm);
        bare.push(await barePublish(server.port, server.url, n, "inbox", "runtime"));
      };
      const withMain = async () => {
        await freshStream(jsm);
        main.push(await mainPublish(root, server.url, server.port, n));
      };
      if (round % 2 === 0) {
        await withBare();
        await withMain();
      } else {
        await withMain();
        await withBare();
      }
      bareConsumer.push(await bareConsume(server.port, server.url, jsm, n));
      // Alternating which goes first: the first consumer after another one runs slower.
      const withWorkers = () => consumeProcesses(root, config, server.port, jsm, n, 1);
      const withOneThread = () =>
        consumeProcesses(root, config, server.port, jsm, n, 1, ["--workers", "1"]);
      if (round % 2 === 0) {
        one.push(await withWorkers());
        oneThread.push(await withOneThread());
      } else {
        oneThread.push(await withOneThread());
        one.push(await withWorkers());
      }
      two.push(await consumeProcesses(root, config, server.port, jsm, n, 2));
    }
    const lat = await latency(nc, root, config, server.port, jsm, rate, seconds);
    const cores = navigator.hardwareConcurrency;
    const rateOf = (runs: Run[]) => median(runs.map((r) => r.rate));
    const cpuOf = (runs: Run[]) => `${fmt(median(runs.map((r) => r.cpuPer10k)), 3)} s`;
    const busyOf = (runs: Run[]) => fmt(median(runs.map((r) => r.busyCores)), 2);
    const window = NATS_PUBLISH_DEFAULTS.ackWindow;
    return [
      [
        `j. main.ts --publish, ${fmt(n)} snapshots (process start to exit)`,
        `${fmt(rateOf(main))} snap/s, CPU ${cpuOf(main)}/10k`,
        `vs bare publisher process of the same snapshots (window ${window}, acks on one inbox) ${
          fmt(rateOf(bare))
        } snap/s, CPU ${cpuOf(bare)}/10k: ratio ${
          fmt(rateOf(main) / rateOf(bare), 2)
        } (target ≥ 0.80)`,
      ],
      [
        `   bare publisher process with JetStreamClient.publish (window ${window})`,
        `${fmt(rateOf(client))} snap/s, CPU ${cpuOf(client)}/10k`,
        `main.ts --publish / this: ${fmt(rateOf(main) / rateOf(client), 2)}`,
      ],
      [
        `   bare publisher process (inbox) of the synthetic lines (shorter, made more cheaply)`,
        `${fmt(rateOf(synthetic))} snap/s, CPU ${cpuOf(synthetic)}/10k`,
        `main.ts --publish / this: ${fmt(rateOf(main) / rateOf(synthetic), 2)}`,
      ],
      [
        `j2. observer.ts follow: a nats follower catching up a ${fmt(n)}-record log`,
        `${fmt(rateOf(follower))} rec/s, CPU ${cpuOf(follower)}/10k`,
        `vs the bare publisher process (inbox) of the same snapshots ${
          fmt(rateOf(synthetic))
        } snap/s: ratio ${fmt(rateOf(follower) / rateOf(synthetic), 2)} (target ≥ 0.70)`,
      ],
      [
        `k. observer.ts consume, 1 process (fsync always, --workers ${cores}), ${fmt(n)} messages`,
        `${fmt(rateOf(one))} rec/s, CPU ${cpuOf(one)}/10k, machine busy ${
          busyOf(one)
        } of ${cores} cores`,
        `vs bare consumer process that only acks ${fmt(rateOf(bareConsumer))} msg/s, CPU ${
          cpuOf(bareConsumer)
        }/10k: ratio ${fmt(rateOf(one) / rateOf(bareConsumer), 2)} (target ≥ 0.70)`,
      ],
      [
        `   1 consume process with --workers 1 (one thread)`,
        `${fmt(rateOf(oneThread))} rec/s, CPU ${cpuOf(oneThread)}/10k, machine busy ${
          busyOf(oneThread)
        } of ${cores} cores`,
        `ratio ${
          fmt(rateOf(oneThread) / rateOf(bareConsumer), 2)
        } of the bare consumer; --workers ${cores} / it: ${
          fmt(rateOf(one) / rateOf(oneThread), 2)
        }`,
      ],
      [
        `   2 consume processes (${cores} cores, shared with nats-server and the bench)`,
        `${fmt(rateOf(two))} rec/s, CPU ${cpuOf(two)}/10k, machine busy ${
          busyOf(two)
        } of ${cores} cores`,
        `ratio ${fmt(rateOf(two) / rateOf(one), 2)} of one process (target ≥ 1.5 with the cores)`,
      ],
      [
        `l. latency publish → record in the file at ${fmt(rate)}/s (achieved ${
          fmt(lat.achieved)
        }/s)`,
        `p50 ${fmt(lat.p50, 1)} ms, p99 ${fmt(lat.p99, 1)} ms`,
        `${fmt(lat.seen)} of ${fmt(lat.total)} records seen; consume with fsync always`,
      ],
    ];
  } finally {
    await nc.close();
    await server.destroy();
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
}
