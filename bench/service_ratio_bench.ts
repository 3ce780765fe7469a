/**
 * Row i of `deno task bench` alone, in alternating rounds, each round printed: `observer.ts
 * serve` taking N snapshots as POSTs of 1,000 lines from 4 clients (default `--workers`), against
 * `observer.ts --input` recording the same snapshots from a file (default `--workers`), both whole
 * processes timed from spawn to exit; then, per round, the latency of 100-snapshot POSTs with
 * `ack=queued` and `ack=durable` at `--rate`.
 *
 *   deno run --allow-all bench/service_ratio_bench.ts [--n 100000] [--rounds 3] [--rate 20000]
 *     [--latency-seconds 3] [--skip-latency] [--skip-ingest]
 *
 * @module
 */

import { join } from "node:path";
import { spawnScript } from "../tests/helpers/project.ts";
import { writeSnapshotFile } from "../tests/helpers/snapshot_file.ts";
import { fmt, median } from "./bench_format.ts";
import { watchPeakRss } from "./parallel_bench.ts";
import { benchHttp, benchPostLatency } from "./service_bench.ts";
import { warmCopy } from "./warm_copy.ts";

/** What one `observer.ts --input` process did. */
export interface InputRun {
  /** Its peak RSS (VmHWM), MB. */
  readonly peakMb: number;
  /** From its spawn to its exit. */
  readonly seconds: number;
  /** Records written (from its summary line). */
  readonly written: number;
}

/**
 * `observer.ts --input` (the `observer` task's flags) recording `lines` snapshots in the warmed
 * project copy for it (`warm_copy.ts`), timed from spawn to exit, with `workers` (default: the
 * command's own default).
 */
export async function inputRun(lines: number, workers?: number): Promise<InputRun> {
  const root = await warmCopy("input", async (root) => {
    await recordInput(root, 1_000);
  });
  return await recordInput(root, lines, workers);
}

/** {@linkcode inputRun} in the project copy `root`. */
async function recordInput(root: string, lines: number, workers?: number): Promise<InputRun> {
  const input = join(root, `input_${lines}.jsonl`);
  await writeSnapshotFile(input, lines);
  const t0 = performance.now();
  const child = await spawnScript(root, {
    task: "observer",
    script: "observer.ts",
    args: [
      "--input",
      input,
      "--log-level",
      "warning",
      ...(workers === undefined ? [] : ["--workers", String(workers)]),
    ],
  });
  const stopRss = watchPeakRss(child.pid);
  const output = await child.output();
  const peakMb = stopRss();
  const seconds = (performance.now() - t0) / 1000;
  await Deno.remove(input);
  const written = Number(/written=(\d+)/.exec(new TextDecoder().decode(output.stdout))?.[1] ?? -1);
  if (written !== lines) throw new Error(`observer.ts wrote ${written} of ${lines} lines`);
  return { peakMb, seconds, written };
}

function flag(args: readonly string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

/** The ingest pairs: HTTP and --input alternating which goes first; each round printed. */
async function ingestRounds(n: number, rounds: number): Promise<void> {
  const ratios: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? ["http", "input"] as const : ["input", "http"] as const;
    const rate: Record<string, number> = {};
    for (const who of order) {
      rate[who] = who === "http" ? (await benchHttp(n)).rate : n / (await inputRun(n)).seconds;
    }
    ratios.push(rate.http / rate.input);
    const load = (await Deno.readTextFile("/proc/loadavg")).split(" ")[0];
    console.log(
      `round ${round + 1} (${order.join(" first, ")}; load ${load}): HTTP ${
        fmt(rate.http)
      } rec/s, --input ${fmt(rate.input)} rec/s: ratio ${fmt(rate.http / rate.input, 2)}`,
    );
  }
  console.log(`i. HTTP / --input, default workers: median ${fmt(median(ratios), 2)} (≥ 0.80)`);
}

/** The latency runs, `rounds` of each ack, alternating. */
async function latencyRounds(rate: number, seconds: number, rounds: number): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    for (const ack of ["queued", "durable"] as const) {
      const l = await benchPostLatency(rate, seconds, ack);
      console.log(
        `round ${round + 1} ack=${ack} at ${fmt(l.offered)} rec/s (achieved ${
          fmt(l.achieved)
        }): p50 ${fmt(l.p50, 1)} ms, p99 ${fmt(l.p99, 1)} ms, max ${fmt(l.max, 1)} ms`,
      );
    }
  }
}

if (import.meta.main) {
  const args = Deno.args;
  const rounds = flag(args, "rounds", 3);
  if (!args.includes("--skip-ingest")) {
    await ingestRounds(Math.min(flag(args, "n", 100_000), 100_000), rounds);
  }
  if (!args.includes("--skip-latency")) {
    await latencyRounds(flag(args, "rate", 20_000), flag(args, "latency-seconds", 3), rounds);
  }
}
