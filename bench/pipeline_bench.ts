/**
 * `deno task bench` (runs with --allow-all: it spawns observer.ts and reads /proc/<pid>/status,
 * which Deno grants only with all permissions): the recorder's throughput, latency and memory, each against a baseline
 * measured in the same run (the machines are shared and noisy, so ratios matter, not absolutes).
 *
 *   a. end-to-end records/s: Observer → EventBus → JsonlFileSink, N snapshots
 *   b. the practical limit: build the same record shape inline, JSON.stringify, 1 MiB writes
 *   c. pino with its asynchronous destination (sonic-boom) writing the same record objects
 *   d. latency from onSnapshot() to the bytes being handed to the OS at a steady offered rate
 *   e. peak RSS of observer.ts recording a 1,000,000-line snapshot file (and one half as long)
 *
 * Flags: --n N (default 200000), --rounds K (default 3; medians are reported),
 *        --rate R (default 20000/s), --latency-seconds S (default 3),
 *        --rss-lines L (default 1000000), --skip-rss
 * f compares the input parser with bare JSON.parse on the same lines (JavaScript-made and
 * Python-made).
 *   g. records/s of a recording fanned out to three sinks (JSONL all, JSONL filtered, PostgreSQL
 *      1 in 10) against one JSONL sink, alternating
 *   h. rows/s of the PostgreSQL sink against a plain COPY of the same rows from the same client
 *   g2. a live recording with a PostgreSQL follower against the same recording with no network
 *      sink, whole observer.ts processes, alternating (bench/follow_recording_bench.ts)
 * g and h need PostgreSQL on 127.0.0.1:5432 (database test); --skip-postgres leaves them out.
 *   i. records/s ingested over HTTP by `observer.ts serve` (batches of 1,000 lines, 4 clients at
 *      once) with its default --workers and with --workers 1, against `observer.ts --input`
 *      recording the same snapshots from a file with the same two; all timed from process start
 *      to exit (drained); then the latency of 100-snapshot POSTs with
 *      ack=queued and ack=durable at --rate, and the service's peak RSS with 200 stream
 *      subscribers, 10 not reading (bench/service_bench.ts); --skip-http leaves them out
 *   j–l. NATS JetStream (bench/nats_bench.ts, a private nats-server): main.ts --publish against a
 *      bare publisher, consume processes against a bare consumer, publish-to-disk latency;
 *      --skip-nats leaves them out
 *   m. ordered parallel recording: observer.ts --workers 1 and --workers <cores>, the
 *      single-thread limit and pino on Node.js as whole processes on --parallel-lines lines
 *      (default 1,000,000), with peak RSS (bench/parallel_bench.ts); --skip-parallel leaves it out
 *
 * @module
 */

import { join } from "node:path";
import pino from "pino";
import { EventBus } from "../src/bus/event_bus.ts";
import { getObserverLogger } from "../src/log/logging.ts";
import { Observer } from "../src/observer/observer.ts";
import { JsonlFileSink } from "../src/sinks/jsonl_file_sink.ts";
import { SINK_DEFAULTS } from "../src/sinks/file_sink_tuning.ts";
import { benchHttp, benchPostLatency, benchStreamRss } from "./service_bench.ts";
import { inputRun } from "./service_ratio_bench.ts";
import { parseInputJson } from "../src/contract/input_json.ts";
import { inlineRecord } from "./inline_record.mjs";
import { LineChunkWriter } from "./line_chunk_writer.ts";
import { benchParallel, type ProcessUse } from "./parallel_bench.ts";
// g and h load their modules (the configuration, postgres.js) when they run: loaded up front,
// they were seen to slow a by 10-15 % (a larger heap for the whole run), which b and c do not pay.
const lazy = {
  pipeline: () => import("../src/app/pipeline.ts"),
  config: () => import("../src/config/load_config.ts"),
  follower: async () => ({
    ...await import("../src/follow/follower.ts"),
    ...await import("../src/sinks/postgres_writer.ts"),
  }),
  table: () => import("../src/sinks/postgres_table.ts"),
  record: () => import("../src/contract/pattern_record.ts"),
  postgres: () => import("../tests/helpers/postgres.ts"),
};
import { snapshotLine, syntheticSnapshot } from "../tests/helpers/snapshot_file.ts";
import { fmt, median } from "./bench_format.ts";

const args = Deno.args;
function flag(name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}
const N = flag("n", 200_000);
const RATE = flag("rate", 20_000);
const LATENCY_SECONDS = flag("latency-seconds", 3);
const RSS_LINES = flag("rss-lines", 1_000_000);
const SKIP_RSS = args.includes("--skip-rss");
const SKIP_POSTGRES = args.includes("--skip-postgres");
const SKIP_HTTP = args.includes("--skip-http");
const SKIP_NATS = args.includes("--skip-nats");
const SKIP_PARALLEL = args.includes("--skip-parallel");
const ROUNDS = flag("rounds", 3);

/** The snapshot every contestant records for index i. */
const snapshotFor = syntheticSnapshot;

const logger = getObserverLogger("bench");
let runs = 0;
const workDir = await Deno.makeTempDir({ prefix: "qts-bench-" });

async function fileLineCount(path: string): Promise<number> {
  let count = 0;
  using file = await Deno.open(path);
  for await (const chunk of file.readable) {
    for (let i = 0; i < chunk.length; i++) if (chunk[i] === 0x0a) count++;
  }
  return count;
}

/** a. The real pipeline, default sink settings except fsync none (the others do not sync). */
async function benchPipeline(n: number): Promise<number> {
  const root = join(workDir, "pipeline");
  await Deno.remove(root, { recursive: true }).catch(() => {});
  const sink = await JsonlFileSink.open({ root, logger, fsync: "none" });
  const bus = new EventBus([sink], logger);
  const observer = new Observer({ bus, logger });
  observer.start();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await observer.onSnapshot(snapshotFor(i));
  observer.stop();
  await bus.close();
  const seconds = (performance.now() - t0) / 1000;
  if (sink.stats().written !== n || await fileLineCount(sink.path) !== n) {
    throw new Error("pipeline bench lost records");
  }
  await Deno.remove(root, { recursive: true });
  return n / seconds;
}

/**
 * b. Inline build + JSON.stringify, lines gathered to 1 MiB, joined with newlines, encoded into
 * one reused buffer and written through one handle: the least work that produces the same file.
 */
async function benchLimit(n: number): Promise<number> {
  const path = join(workDir, `limit-${n}-${runs++}.jsonl`);
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  const out = new LineChunkWriter(file);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    await out.add(JSON.stringify(inlineRecord(snapshotFor(i), new Date().toISOString())));
  }
  await out.finish();
  const seconds = (performance.now() - t0) / 1000;
  if (await fileLineCount(path) !== n) throw new Error("limit bench lost records");
  await Deno.remove(path);
  return n / seconds;
}

/** c. pino with sonic-boom's asynchronous destination, the same record objects. */
async function benchPino(n: number): Promise<number> {
  const path = join(workDir, `pino-${n}-${runs++}.jsonl`);
  const destination = pino.destination({ dest: path, sync: false, minLength: 4096 });
  const log = pino({ base: undefined, timestamp: false }, destination);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    log.info(inlineRecord(snapshotFor(i), new Date().toISOString()));
    // The same bound and policy as the pipeline's default queue: when full, wait until drained.
    if ((destination as unknown as { _len: number })._len > SINK_DEFAULTS.maxQueueBytes) {
      await new Promise((resolve) => destination.once("drain", resolve));
    }
  }
  await new Promise<void>((resolve, reject) =>
    destination.flush((error?: Error) => error ? reject(error) : resolve())
  );
  const seconds = (performance.now() - t0) / 1000;
  destination.end();
  await new Promise((r) => destination.once("close", r));
  if (await fileLineCount(path) !== n) throw new Error("pino bench lost records");
  await Deno.remove(path);
  return n / seconds;
}

interface Latency {
  p50: number;
  p99: number;
  max: number;
  offered: number;
  achieved: number;
}

/** d. Steady offered rate; latency = bytes handed to the OS − onSnapshot() call. */
async function benchLatency(rate: number, seconds: number): Promise<Latency> {
  const root = join(workDir, "latency");
  const total = Math.round(rate * seconds);
  const sentAt = new Float64Array(total);
  const latencies: number[] = [];
  let reported = 0;
  const sink = await JsonlFileSink.open({
    root,
    logger,
    fsync: "none",
    onBatchWritten: (records) => {
      const now = performance.now();
      for (let k = 0; k < records; k++) latencies.push(now - sentAt[reported++]);
    },
  });
  const bus = new EventBus([sink], logger);
  const observer = new Observer({ bus, logger });
  observer.start();
  const t0 = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
    while (sent < due) {
      sentAt[sent] = performance.now();
      await observer.onSnapshot(snapshotFor(sent));
      sent++;
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  const elapsed = (performance.now() - t0) / 1000;
  observer.stop();
  await bus.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return {
    p50: at(0.5),
    p99: at(0.99),
    max: latencies[latencies.length - 1],
    offered: rate,
    achieved: total / elapsed,
  };
}

/** e. Peak RSS (VmHWM) of observer.ts in a project copy, with the observer task's permissions. */
const benchRss = inputRun;

/** Lines parsed per second by `parse` (best of 3 passes over the same lines). */
function benchParse(lines: readonly string[], parse: (text: string) => unknown): number {
  let best = Infinity;
  for (let pass = 0; pass < 3; pass++) {
    const start = performance.now();
    for (const line of lines) parse(line);
    best = Math.min(best, performance.now() - start);
  }
  return lines.length / (best / 1000);
}

/**
 * g. The recording pipeline over the sinks of `configText` (fsync none, like a), as `main.ts`
 * and `observer.ts` wire it; records/s.
 */
async function benchConfigured(n: number, configText: string): Promise<number> {
  const { openPipeline } = await lazy.pipeline();
  const { parseConfig } = await lazy.config();
  const root = join(workDir, `configured-${runs++}`);
  const pipeline = await openPipeline({
    root,
    config: parseConfig(configText, "bench.jsonc"),
    generatedAt: "snapshot",
  });
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await pipeline.observer.onSnapshot(snapshotFor(i));
  const summary = await pipeline.close();
  const seconds = (performance.now() - t0) / 1000;
  if (summary.sinks.some((s) => s.failed > 0 || s.dropped > 0)) {
    throw new Error(`configured bench lost records: ${JSON.stringify(summary.sinks)}`);
  }
  await Deno.remove(root, { recursive: true });
  return n / seconds;
}

const oneJsonl = `{ "sinks": [{ "type": "jsonl", "file": "one.jsonl", "fsync": "none" }] }`;
const threeSinks = (table: string, url: string) =>
  `{ "sinks": [
    { "type": "jsonl", "file": "all.jsonl", "fsync": "none" },
    { "type": "jsonl", "file": "big.jsonl", "fsync": "none",
      "filter": { "where": "inputs.volume >= 140" } },
    { "type": "postgres", "url": "${url}", "table": "${table}",
      "sample": { "every": 10 } }
  ] }`;

/**
 * h. A follower catching up a backlog: `n` records already in a log file, delivered into a fresh
 * table from an empty checkpoint (reading, parsing, batching, inserting, checkpointing); rows/s.
 */
async function benchPostgresFollower(n: number, table: string): Promise<number> {
  const { Follower, PostgresWriter } = await lazy.follower();
  const { buildPatternRecord, DEFAULT_RECORD_STAMP } = await lazy.record();
  const { SHARED_POSTGRES_URL } = await lazy.postgres();
  const dir = await Deno.makeTempDir({ prefix: "qts-bench-follow-" });
  try {
    using log = await Deno.open(`${dir}/log.jsonl`, { write: true, create: true });
    for (let start = 0; start < n; start += 10_000) {
      let chunk = "";
      for (let i = start; i < Math.min(n, start + 10_000); i++) {
        const s = snapshotFor(i);
        chunk += JSON.stringify(buildPatternRecord(s, DEFAULT_RECORD_STAMP, s.meta.timestamp)) +
          "\n";
      }
      await log.write(new TextEncoder().encode(chunk));
    }
    const writer = new PostgresWriter({ url: SHARED_POSTGRES_URL, table, name: "bench", logger });
    const t0 = performance.now();
    const follower = await Follower.open({
      name: "bench",
      log: { dir, base: "log" },
      destination: writer,
      logger,
    });
    follower.finish();
    await follower.run();
    const seconds = (performance.now() - t0) / 1000;
    const delivered = follower.stats().delivered;
    await follower.close();
    if (delivered !== n) throw new Error(`follower bench delivered ${delivered}, expected ${n}`);
    return n / seconds;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * h. The practical limit: the same rows (same columns, same table definition) sent with one plain
 * `COPY ... FROM STDIN` per 1 MiB from the same client library; rows/s.
 */
async function benchCopy(n: number, table: string): Promise<number> {
  const { postgresTableDdl } = await lazy.table();
  const { buildPatternRecord, DEFAULT_RECORD_STAMP } = await lazy.record();
  const { testClient } = await lazy.postgres();
  const sql = testClient();
  for (const statement of postgresTableDdl(table)) await sql.unsafe(statement);
  const lines = Array.from({ length: n }, (_, i) => {
    const s = snapshotFor(i);
    const json = JSON.stringify(buildPatternRecord(s, DEFAULT_RECORD_STAMP, s.meta.timestamp));
    return [
      s.meta.run_id,
      new Date(s.meta.timestamp_ms).toISOString(),
      s.meta.timestamp_ms,
      s.context.symbol,
      s.context.market,
      s.context.source,
      s.context.stage,
      s.meta.session_id,
      "PASS",
      json.replace(/\\/g, "\\\\"),
    ].join("\t");
  });
  const t0 = performance.now();
  for (let start = 0; start < n;) {
    let end = start;
    let bytes = 0;
    while (end < n && bytes < 1024 * 1024) bytes += lines[end++].length + 1;
    const writable = await sql`
      COPY ${sql(table)} (run_id, event_time, timestamp_ms, symbol, market, source, stage,
        session_id, guard_action, record) FROM STDIN`.writable();
    await new Promise<void>((resolve, reject) => {
      writable.on("finish", resolve);
      writable.on("error", reject);
      writable.end(lines.slice(start, end).join("\n") + "\n");
    });
    start = end;
  }
  const seconds = (performance.now() - t0) / 1000;
  const [{ count }] = await sql`SELECT count(*)::int AS count FROM ${sql(table)}`;
  await sql.end();
  if (count !== n) throw new Error(`COPY bench wrote ${count} rows, expected ${n}`);
  return n / seconds;
}

/** g and h, alternating contestants round by round; undefined with the reason to skip. */
async function benchPostgres(): Promise<
  { g1: number; g3: number; sink: number; copy: number; n: number } | string
> {
  if (SKIP_POSTGRES) return "--skip-postgres";
  const { SHARED_POSTGRES_URL, sharedPostgresUnavailable, testClient, uniqueTable } = await lazy
    .postgres();
  const unavailable = await sharedPostgresUnavailable();
  if (unavailable !== undefined) return unavailable;
  const sql = testClient();
  const tables: string[] = [];
  const fresh = (prefix: string) => {
    const t = uniqueTable(prefix);
    tables.push(t);
    return t;
  };
  try {
    const gN = Math.min(N, 100_000);
    const hN = N;
    await benchConfigured(10_000, threeSinks(fresh("qts_bench_warm"), SHARED_POSTGRES_URL));
    const g1: number[] = [];
    const g3: number[] = [];
    const sinkRates: number[] = [];
    const copyRates: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      g1.push(await benchConfigured(gN, oneJsonl));
      g3.push(await benchConfigured(gN, threeSinks(fresh("qts_bench_g"), SHARED_POSTGRES_URL)));
      sinkRates.push(await benchPostgresFollower(hN, fresh("qts_bench_follow")));
      copyRates.push(await benchCopy(hN, fresh("qts_bench_copy")));
    }
    return {
      g1: median(g1),
      g3: median(g3),
      sink: median(sinkRates),
      copy: median(copyRates),
      n: hN,
    };
  } finally {
    for (const table of tables) await sql`DROP TABLE IF EXISTS ${sql(table)}`;
    await sql.end();
  }
}

console.log(`QTS Observer bench — ${new Date().toISOString()}`);
console.log(
  `deno ${Deno.version.deno}, ${Deno.build.target}, ${navigator.hardwareConcurrency} cores`,
);
console.log(
  `N = ${fmt(N)} snapshots, ${ROUNDS} rounds (medians); one record ≈ ${
    JSON.stringify(inlineRecord(snapshotFor(1), new Date().toISOString())).length
  } bytes\n`,
);

// Warm up the JIT on all three paths, then alternate a, b, c for ROUNDS rounds and take each
// one's median, so a burst of load on this shared machine hits all three alike.
await benchPipeline(20_000);
await benchLimit(20_000);
await benchPino(20_000);
const samples: { a: number[]; b: number[]; c: number[] } = { a: [], b: [], c: [] };
for (let round = 0; round < ROUNDS; round++) {
  samples.a.push(await benchPipeline(N));
  samples.b.push(await benchLimit(N));
  samples.c.push(await benchPino(N));
}
const a = median(samples.a);
const b = median(samples.b);
const c = median(samples.c);
const d = await benchLatency(RATE, LATENCY_SECONDS);
// f: the input parser on the lines observer.ts reads, against bare JSON.parse. JavaScript-made
// lines take the fast path; Python-made lines (floats written as 71000.0) need the exact parser.
const jsLines = Array.from({ length: Math.min(N, 100_000) }, (_, i) => snapshotLine(i));
const pyLines = jsLines.map((l) => l.replace(/"(price|bid|ask|volume)":(\d+)/g, '"$1":$2.0'));
const parseRates = {
  jsNative: benchParse(jsLines, JSON.parse),
  jsOurs: benchParse(jsLines, parseInputJson),
  pyNative: benchParse(pyLines, JSON.parse),
  pyOurs: benchParse(pyLines, parseInputJson),
};

const rows: [string, string, string][] = [
  ["a. pipeline Observer → EventBus → JsonlFileSink", `${fmt(a)} rec/s`, ""],
  [
    "b. practical limit: inline record, stringify, 1 MiB writes",
    `${fmt(b)} rec/s`,
    `a/b = ${fmt(a / b, 2)} (target ≥ 0.70)`,
  ],
  [
    "c. pino + sonic-boom async destination",
    `${fmt(c)} rec/s`,
    `a/c = ${fmt(a / c, 2)} (target ≥ 2.00)`,
  ],
  [
    `d. latency onSnapshot → OS at ${fmt(d.offered)}/s (achieved ${fmt(d.achieved)}/s)`,
    `p50 ${fmt(d.p50, 1)} ms, p99 ${fmt(d.p99, 1)} ms, max ${fmt(d.max, 1)} ms`,
    "",
  ],
];
rows.push([
  "f. parseInputJson vs JSON.parse, JavaScript-made lines (fast path)",
  `${fmt(parseRates.jsOurs)} vs ${fmt(parseRates.jsNative)} lines/s`,
  `ratio ${fmt(parseRates.jsOurs / parseRates.jsNative, 2)} (exact numbers, duplicates, depth)`,
]);
rows.push([
  "   Python-made lines with floats like 71000.0 (exact path)",
  `${fmt(parseRates.pyOurs)} vs ${fmt(parseRates.pyNative)} lines/s`,
  `ratio ${fmt(parseRates.pyOurs / parseRates.pyNative, 2)} (JSON.parse would write 71000)`,
]);
const pg = await benchPostgres();
if (typeof pg === "string") {
  console.log(`skipped: g and h (PostgreSQL): ${pg}`);
} else {
  rows.push([
    "g. --config: JSONL all + JSONL filtered + PostgreSQL 1 in 10",
    `${fmt(pg.g3)} rec/s`,
    `vs one JSONL sink ${fmt(pg.g1)} rec/s: ratio ${fmt(pg.g3 / pg.g1, 2)}`,
  ]);
  rows.push([
    `h. PostgreSQL follower catching up a ${fmt(pg.n)}-record log into a fresh table`,
    `${fmt(pg.sink)} rows/s`,
    `vs plain COPY ${fmt(pg.copy)} rows/s: ratio ${fmt(pg.sink / pg.copy, 2)} (target ≥ 0.70)`,
  ]);
  const { followRecordingRows } = await import("./follow_recording_bench.ts");
  rows.push(...await followRecordingRows(Math.min(N, 100_000), ROUNDS));
}
if (SKIP_HTTP) {
  console.log("skipped: i (HTTP ingest): --skip-http");
} else {
  const httpLines = Math.min(N, 100_000);
  const cores = navigator.hardwareConcurrency;
  const http: number[] = [];
  const httpOne: number[] = [];
  const file: number[] = [];
  const fileParallel: number[] = [];
  const perRecords = 100_000 / httpLines;
  const cpu = (use: ProcessUse) =>
    `${fmt(use.cpu * perRecords, 2)} (main ${fmt(use.mainCpu * perRecords, 2)}, workers ${
      fmt(use.workerCpu * perRecords, 2)
    })`;
  const cpuOf = { http: [] as string[], httpOne: [] as string[] };
  for (let round = 0; round < ROUNDS; round++) {
    const parallel = await benchHttp(httpLines);
    const one = await benchHttp(httpLines, ["--workers", "1"]);
    http.push(parallel.rate);
    httpOne.push(one.rate);
    cpuOf.http.push(cpu(parallel.use));
    cpuOf.httpOne.push(cpu(one.use));
    file.push(httpLines / (await benchRss(httpLines, 1)).seconds);
    fileParallel.push(httpLines / (await benchRss(httpLines)).seconds);
  }
  rows.push([
    `i. observer.ts serve, ${fmt(httpLines)} snapshots over HTTP (4 clients, 1,000 per POST)`,
    `${fmt(median(http))} rec/s`,
    `--workers ${cores} (the default) vs --workers 1 ${fmt(median(httpOne))} rec/s: ${
      fmt(median(http) / median(httpOne), 2)
    }×`,
  ]);
  rows.push([
    `   service CPU s per 100,000 records, --workers ${cores}`,
    cpuOf.http.join("; "),
    `--workers 1: ${cpuOf.httpOne.join("; ")}`,
  ]);
  rows.push([
    `   observer.ts --input, --workers 1 / --workers ${cores}`,
    `${fmt(median(file))} / ${fmt(median(fileParallel))} rec/s`,
    `HTTP / --input: ${fmt(median(httpOne) / median(file), 2)} with one thread (target ≥ 0.60), ${
      fmt(median(http) / median(fileParallel), 2)
    } with ${cores} workers`,
  ]);
  for (const ack of ["queued", "durable"] as const) {
    const l = await benchPostLatency(RATE, LATENCY_SECONDS, ack);
    rows.push([
      `   100-snapshot POST, ack=${ack}, at ${fmt(l.offered)} rec/s (achieved ${fmt(l.achieved)})`,
      `p50 ${fmt(l.p50, 1)} ms, p99 ${fmt(l.p99, 1)} ms, max ${fmt(l.max, 1)} ms`,
      "from each request's scheduled send time",
    ]);
  }
  const sse = await benchStreamRss(200, 10, 2000, LATENCY_SECONDS * 2);
  rows.push([
    `   200 /v1/stream subscribers (10 not reading), 2,000 rec/s for ${LATENCY_SECONDS * 2} s`,
    `peak RSS ${fmt(sse.peakMb, 1)} MB`,
    `vs none ${fmt(sse.baselineMb, 1)} MB: ratio ${fmt(sse.peakMb / sse.baselineMb, 2)}; ${
      fmt(sse.slowDisconnects)
    } cut off as slow; ${fmt(sse.events)} events read`,
  ]);
}
if (SKIP_NATS) console.log("skipped: j–l (NATS): --skip-nats");
else {
  const { natsBenchRows } = await import("./nats_bench.ts");
  rows.push(...await natsBenchRows(Math.min(N, 100_000), ROUNDS, RATE, LATENCY_SECONDS));
}
if (!SKIP_RSS) {
  const small = await benchRss(Math.round(RSS_LINES / 2));
  const big = await benchRss(RSS_LINES);
  rows.push([
    `e. observer.ts peak RSS, ${fmt(RSS_LINES)} lines (${fmt(big.seconds, 1)} s, written ${
      fmt(big.written)
    })`,
    `${fmt(big.peakMb, 1)} MB`,
    `target ≤ 256 MB`,
  ]);
  rows.push([
    `   same with ${fmt(RSS_LINES / 2)} lines (${fmt(small.seconds, 1)} s)`,
    `${fmt(small.peakMb, 1)} MB`,
    `ratio ${fmt(big.peakMb / small.peakMb, 2)} for 2× the input (1.00 = flat)`,
  ]);
}
if (SKIP_PARALLEL) console.log("skipped: m (parallel recording): --skip-parallel");
else {rows.push(
    ...await benchParallel({ lines: flag("parallel-lines", 1_000_000), rounds: ROUNDS }),
  );}
if (args.includes("--skip-catalog")) console.log("skipped: n–p (catalog): --skip-catalog");
else {
  const { catalogBenchRows } = await import("./catalog_bench.ts");
  rows.push(
    ...await catalogBenchRows({
      records: flag("catalog-records", 3_000_000),
      days: flag("catalog-days", 30),
    }),
  );
}
const width = [0, 1, 2].map((k) => Math.max(...rows.map((r) => r[k].length)));
for (const row of rows) {
  console.log(`| ${row.map((cell, k) => cell.padEnd(width[k])).join(" | ")} |`);
}
await Deno.remove(workDir, { recursive: true });
