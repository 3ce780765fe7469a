/**
 * m. Ordered parallel recording, as whole processes on the same snapshot file (default
 * 1,000,000 lines), timed from start to exit with every record written, alternating
 * contestants round by round (medians):
 *
 * - `observer.ts --input <file> --workers 1` (the single-thread path) and `--workers N` (N = the
 *   cores), started with the `observer` task's permission and V8 flags, `--fsync none` (no
 *   other contestant syncs);
 * - the single-thread practical limit (`limit_script.ts`: parse, inline record, stringify,
 *   1 MiB writes) with the same V8 flags;
 * - pino on Node.js doing the same job (`pino_node.mjs`), with pino installed by npm into a
 *   temporary directory at the version deno.lock pins.
 *
 * Peak RSS is VmHWM from /proc/<pid>/status, polled while each process runs, and so is the CPU
 * time (user + system) of each thread from /proc/<pid>/task/<tid>/stat: CPU seconds per 100,000
 * records, of the whole process and of its main thread and workers, say what a record costs
 * whatever else the shared machine is running (wall times move with its load). The load
 * average is printed with the rows.
 *
 * @module
 */

import { join, resolve } from "node:path";
import { copyProject, spawnScript } from "../tests/helpers/project.ts";
import { writeSnapshotFile } from "../tests/helpers/snapshot_file.ts";
import { fmt, median } from "./bench_format.ts";

const BENCH_DIR = import.meta.dirname!;
const V8_FLAGS = "--v8-flags=--max-semi-space-size=4,--max-old-space-size=128";

/** One table row: what, result, ratio and target. */
export type BenchRow = [string, string, string];

/** What {@linkcode benchParallel} needs. */
export interface ParallelBenchOptions {
  /** Snapshot lines in the input file. */
  readonly lines: number;
  /** Rounds of alternating contestants (medians are reported). */
  readonly rounds: number;
  /** Workers of the parallel contestant. Default: the number of cores. */
  readonly workers?: number;
}

interface Timed extends ProcessUse {
  readonly seconds: number;
  readonly stdout: string;
}

/** What a process used, as {@linkcode watchProcess} saw it. */
export interface ProcessUse {
  /** Peak RSS (VmHWM), MB. */
  readonly peakMb: number;
  /** CPU seconds (user + system) of the whole process. */
  readonly cpu: number;
  /** Of its main thread. */
  readonly mainCpu: number;
  /** Of its Web Workers (threads named `worker-N`). */
  readonly workerCpu: number;
}

/** Clock ticks per second of /proc's CPU times. */
const TICKS = Number(
  new TextDecoder().decode(
    new Deno.Command("getconf", { args: ["CLK_TCK"] }).outputSync().stdout,
  ).trim(),
) || 100;

/** utime + stime of a /proc stat line, in ticks, and the thread's name. */
function cpuTicks(stat: string): { name: string; ticks: number } {
  const close = stat.lastIndexOf(")");
  const fields = stat.slice(close + 2).split(" ");
  return { name: stat.slice(stat.indexOf("(") + 1, close), ticks: +fields[11] + +fields[12] };
}

/**
 * Polls process `pid` every 20 ms: its peak RSS and the CPU time of each of its threads (the
 * last poll before it exits, at most 20 ms short). The returned function stops polling.
 */
export function watchProcess(pid: number): () => ProcessUse {
  let peakKb = 0;
  let total = 0;
  const threads = new Map<string, { name: string; ticks: number }>();
  const poll = setInterval(() => {
    try {
      const status = Deno.readTextFileSync(`/proc/${pid}/status`);
      const match = /VmHWM:\s+(\d+) kB/.exec(status);
      if (match) peakKb = Math.max(peakKb, Number(match[1]));
      total = Math.max(total, cpuTicks(Deno.readTextFileSync(`/proc/${pid}/stat`)).ticks);
      for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
        try {
          threads.set(
            task.name,
            cpuTicks(Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/stat`)),
          );
        } catch { /* the thread ended */ }
      }
    } catch { /* exited */ }
  }, 20);
  return () => {
    clearInterval(poll);
    let workers = 0;
    for (const { name, ticks } of threads.values()) {
      if (name.startsWith("worker-")) workers += ticks;
    }
    return {
      peakMb: peakKb / 1024,
      cpu: total / TICKS,
      mainCpu: (threads.get(String(pid))?.ticks ?? 0) / TICKS,
      workerCpu: workers / TICKS,
    };
  };
}

/**
 * Polls the peak RSS (VmHWM in /proc/<pid>/status) of process `pid` every 20 ms; the returned
 * function stops polling and gives the peak in MB.
 */
export function watchPeakRss(pid: number): () => number {
  const stop = watchProcess(pid);
  return () => stop().peakMb;
}

/** Runs a child process to its end, polling its peak RSS. */
async function timed(child: Deno.ChildProcess, t0: number): Promise<Timed> {
  const stop = watchProcess(child.pid);
  const output = await child.output();
  const use = stop();
  const seconds = (performance.now() - t0) / 1000;
  if (!output.success) {
    throw new Error(
      `bench j: a contestant failed (${output.code}): ${new TextDecoder().decode(output.stderr)}`,
    );
  }
  return { seconds, ...use, stdout: new TextDecoder().decode(output.stdout) };
}

async function lineCount(path: string): Promise<number> {
  let count = 0;
  using file = await Deno.open(path);
  for await (const chunk of file.readable) {
    for (let i = chunk.indexOf(0x0a); i >= 0; i = chunk.indexOf(0x0a, i + 1)) count++;
  }
  return count;
}

/** Installs pino (the version deno.lock pins) into a temporary directory; its path, or why not. */
async function installPino(dir: string): Promise<string> {
  const lock = JSON.parse(await Deno.readTextFile(join(BENCH_DIR, "..", "deno.lock")));
  const version = Object.entries(lock.specifiers ?? {}).find(([k]) => k.startsWith("npm:pino@"))
    ?.[1] as string | undefined;
  if (version === undefined) return "no pino version in deno.lock";
  await Deno.writeTextFile(join(dir, "package.json"), '{ "private": true, "type": "module" }');
  const npm = await new Deno.Command("npm", {
    args: ["install", "--no-audit", "--no-fund", "--prefer-offline", `pino@${version}`],
    cwd: dir,
    stdout: "null",
    stderr: "piped",
  }).output().catch((error) => ({ success: false, stderr: new TextEncoder().encode(`${error}`) }));
  if (!npm.success) {
    return `npm install pino@${version} failed: ${new TextDecoder().decode(npm.stderr).trim()}`;
  }
  await Deno.copyFile(join(BENCH_DIR, "pino_node.mjs"), join(dir, "pino_node.mjs"));
  return dir;
}

/** The 1-minute load average, from /proc/loadavg. */
const loadAverage = () => Deno.readTextFileSync("/proc/loadavg").split(" ")[0];

/**
 * Runs bench j and returns its rows (see the module notes). Throws when a contestant fails or
 * loses records.
 */
export async function benchParallel(options: ParallelBenchOptions): Promise<BenchRow[]> {
  const workers = options.workers ?? navigator.hardwareConcurrency;
  const n = options.lines;
  const root = await copyProject();
  const pinoDir = await Deno.makeTempDir({ prefix: "qts-bench-pino-" });
  try {
    const input = join(root, "input.jsonl");
    await writeSnapshotFile(input, n);
    const pino = await installPino(pinoDir);
    const pinoReady = pino === pinoDir;
    let run = 0;
    const observer = async (w: number) => {
      const file = `j-${run++}.jsonl`;
      const t0 = performance.now();
      const child = await spawnScript(root, {
        task: "observer",
        script: "observer.ts",
        args: [
          "--input",
          input,
          "--workers",
          String(w),
          "--fsync",
          "none",
          "--file",
          file,
          "--log-level",
          "warning",
        ],
      });
      const result = await timed(child, t0);
      const written = Number(/written=(\d+)/.exec(result.stdout)?.[1] ?? -1);
      if (written !== n) throw new Error(`bench j: --workers ${w} wrote ${written} of ${n}`);
      await Deno.remove(join(root, "data", "observer", file));
      return result;
    };
    const other = async (command: string, args: string[], cwd: string) => {
      const out = join(root, `j-out-${run++}.jsonl`);
      const t0 = performance.now();
      const child = new Deno.Command(command, {
        args: [...args.map((a) => a === "<out>" ? out : a)],
        cwd,
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const result = await timed(child, t0);
      const count = await lineCount(out);
      await Deno.remove(out);
      if (count !== n) throw new Error(`bench j: ${command} wrote ${count} of ${n} lines`);
      return result;
    };
    const limit = () =>
      other(Deno.execPath(), [
        "run",
        "--allow-read",
        "--allow-write",
        V8_FLAGS,
        join(BENCH_DIR, "limit_script.ts"),
        input,
        "<out>",
      ], root);
    const node = () =>
      other("node", [
        "pino_node.mjs",
        input,
        "<out>",
        new URL(`file://${resolve(BENCH_DIR, "inline_record.mjs")}`).href,
      ], pinoDir);

    const loadBefore = loadAverage();
    // Warm Deno's caches for every contestant, then alternate them round by round.
    await observer(1);
    await limit();
    const samples = { one: [] as Timed[], many: [] as Timed[], limit: [] as Timed[] };
    const pinoSamples: Timed[] = [];
    for (let round = 0; round < options.rounds; round++) {
      samples.one.push(await observer(1));
      samples.many.push(await observer(workers));
      samples.limit.push(await limit());
      if (pinoReady) pinoSamples.push(await node());
    }
    const rate = (xs: Timed[]) => n / median(xs.map((x) => x.seconds));
    const peak = (xs: Timed[]) => Math.max(...xs.map((x) => x.peakMb));
    const loadAfter = loadAverage();
    const one = rate(samples.one);
    const many = rate(samples.many);
    const lim = rate(samples.limit);
    /** Median CPU seconds per 100,000 records of what `of` picks. */
    const cpu = (xs: Timed[], of: (x: Timed) => number = (x) => x.cpu) =>
      fmt(median(xs.map(of)) * 100_000 / n, 2);
    const threads = (xs: Timed[]) =>
      `CPU ${cpu(xs)} s/100k (main ${cpu(xs, (x) => x.mainCpu)}, workers ${
        cpu(xs, (x) => x.workerCpu)
      })`;
    const rows: BenchRow[] = [
      [
        `m. observer.ts --input, ${fmt(n)} lines, --workers 1 (whole process)`,
        `${fmt(one)} rec/s, peak RSS ${fmt(peak(samples.one), 1)} MB, ${threads(samples.one)}`,
        `load average ${loadBefore} → ${loadAfter} on ${navigator.hardwareConcurrency} cores`,
      ],
      [
        `   observer.ts --workers ${workers}`,
        `${fmt(many)} rec/s, peak RSS ${fmt(peak(samples.many), 1)} MB, ${threads(samples.many)}`,
        `vs --workers 1: ${fmt(many / one, 2)} (target ≥ 1.60 on 2 cores); RSS target ≤ 256 MB`,
      ],
      [
        "   single-thread limit: parse, inline record, stringify, 1 MiB writes",
        `${fmt(lim)} rec/s, peak RSS ${fmt(peak(samples.limit), 1)} MB, CPU ${
          cpu(samples.limit)
        } s/100k`,
        `--workers ${workers} / limit = ${fmt(many / lim, 2)} (target ≥ 1.20)`,
      ],
    ];
    if (pinoReady) {
      const p = rate(pinoSamples);
      rows.push([
        "   pino on Node.js, the same job",
        `${fmt(p)} rec/s, peak RSS ${fmt(peak(pinoSamples), 1)} MB, CPU ${cpu(pinoSamples)} s/100k`,
        `--workers ${workers} / pino = ${fmt(many / p, 2)} (target ≥ 3.00)`,
      ]);
    } else {
      rows.push(["   pino on Node.js", `skipped: ${pino}`, ""]);
    }
    return rows;
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
    await Deno.remove(pinoDir, { recursive: true }).catch(() => {});
  }
}
