/**
 * Bench rows of the HTTP service (`observer.ts serve`, a real process with the serve task's
 * flags), for `bench/pipeline_bench.ts`:
 *
 *   i.  records/s ingested over HTTP (batches of 1,000 lines, 4 clients at once), timed from
 *       process start to exit (drained); the caller compares it with `observer.ts --input`
 *   i2. latency of a 100-snapshot POST with `ack=queued` and `ack=durable` at a paced offered
 *       rate (20,000 records/s by default), measured from each request's scheduled send time
 *       (so a stalled server is not hidden by a client that waits), at most 8 requests at once
 *   i3. peak RSS of the service with 200 stream subscribers (10 of them never read) while
 *       snapshots are posted, against the same service and load with none
 *
 * @module
 */

import { serveNet, spawnScript } from "../tests/helpers/project.ts";
import { freePort } from "../tests/helpers/net.ts";
import { snapshotLine } from "../tests/helpers/snapshot_file.ts";
import { type ProcessUse, watchPeakRss, watchProcess } from "./parallel_bench.ts";
import { rawPost } from "./raw_http_post.ts";
import { warmCopy } from "./warm_copy.ts";

/** A service started for one measurement. */
interface Service {
  readonly base: string;
  readonly port: number;
  readonly pid: number;
  /** `performance.now()` when the process was spawned (the project copy made before it). */
  readonly spawnedAt: number;
  /** SIGTERM, wait, return the records written (from the summary line). */
  stop(): Promise<number>;
}

/** A service started in the warmed copy for services (see `warm_copy.ts`). */
async function startService(args: string[] = []): Promise<Service> {
  const root = await warmCopy("serve", async (root) => {
    await (await launchService(root, [])).stop();
  });
  return await launchService(root, args);
}

/** `observer.ts serve` with `args`, started in the project copy `root`, once it answers. */
async function launchService(root: string, args: string[]): Promise<Service> {
  const port = freePort();
  const base = `http://127.0.0.1:${port}`;
  const spawnedAt = performance.now();
  const child = await spawnScript(root, {
    task: "serve",
    script: "observer.ts",
    args: ["serve", "--listen", `127.0.0.1:${port}`, "--log-level", "warning", ...args],
    extraNet: serveNet(root, port),
  });
  while (
    !(await fetch(`${base}/healthz`).then((r) => r.body?.cancel().then(() => r.ok), () => false))
  ) {
    await new Promise((r) => setTimeout(r, 10));
  }
  return {
    base,
    port,
    pid: child.pid,
    spawnedAt,
    async stop() {
      child.kill("SIGTERM");
      const output = await child.output();
      const stdout = new TextDecoder().decode(output.stdout);
      return Number(/written=(\d+)/.exec(stdout)?.[1] ?? -1);
    },
  };
}

const encoder = new TextEncoder();

/** NDJSON bodies of `size` snapshot lines each, `count` of them, starting at snapshot `from`. */
function bodies(count: number, size: number, from = 0): Uint8Array[] {
  return Array.from({ length: count }, (_, b) => {
    let body = "";
    for (let i = 0; i < size; i++) body += snapshotLine(from + b * size + i) + "\n";
    return encoder.encode(body);
  });
}

/** POSTs `body` to the service's ingest route; throws unless it answers 200. */
async function post(service: Service, body: Uint8Array, query = ""): Promise<void> {
  const answer = await rawPost(service.port, `/v1/snapshots${query}`, body);
  if (answer.status !== 200) throw new Error(`HTTP bench: ${answer.status} ${answer.body}`);
}

/** What an HTTP ingest run measured. */
export interface HttpIngest {
  /** Records/s, from the service's start to its exit with everything written. */
  readonly rate: number;
  /** The service's CPU (whole process, main thread, workers), peak RSS. */
  readonly use: ProcessUse;
}

/**
 * i. Records/s of `lines` snapshots posted by 4 clients in batches of 1,000, to a service
 * started with `args` (e.g. `--workers 1`), and what the service process used.
 */
export async function benchHttp(lines: number, args: string[] = []): Promise<HttpIngest> {
  // Encoded before the run, as a load generator sends prepared bytes: the clients share the
  // service's two cores, and encoding each body at send took them 0.35–0.56 CPU-s per 100,000
  // snapshots against 0.25–0.43 (measured on 2026-12-07).
  const batches = Array.from(
    { length: Math.ceil(lines / 1000) },
    (_, b) => bodies(1, Math.min(1000, lines - b * 1000), b * 1000)[0],
  );
  const service = await startService(args);
  const t0 = service.spawnedAt; // the project copy made for it is not the service's time
  const watched = watchProcess(service.pid);
  let next = 0;
  const client = async () => {
    while (next < batches.length) await post(service, batches[next++]);
  };
  await Promise.all([client(), client(), client(), client()]);
  const written = await service.stop();
  const use = watched();
  const seconds = (performance.now() - t0) / 1000;
  if (written !== lines) throw new Error(`observer.ts serve wrote ${written} of ${lines}`);
  return { rate: lines / seconds, use };
}

/** Most latency-run requests in flight at once (one client address). */
const MAX_IN_FLIGHT = 8;

/** What a latency run saw. */
export interface PostLatency {
  /** Records/s offered. */
  readonly offered: number;
  /** Records/s acknowledged. */
  readonly achieved: number;
  /** Median, 99th percentile and largest latency, ms. */
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** The `q` quantile of sorted `xs`. */
function quantile(xs: readonly number[], q: number): number {
  return xs[Math.min(xs.length - 1, Math.floor(q * xs.length))];
}

/**
 * i2. Latency of 100-snapshot POSTs with `ack`, offered at `rate` records/s for `seconds`:
 * request k is due at start + k × (100 / rate) s and its latency counts from then.
 */
export async function benchPostLatency(
  rate: number,
  seconds: number,
  ack: "queued" | "durable",
): Promise<PostLatency> {
  const perPost = 100;
  const count = Math.max(1, Math.round((rate * seconds) / perPost));
  const posts = bodies(count, perPost);
  // One client address with up to MAX_IN_FLIGHT requests at once: the service is told so
  // (its default allows 4 per address and would answer the rest 503).
  const service = await startService(["--max-requests-per-client", String(MAX_IN_FLIGHT)]);
  await post(service, bodies(1, perPost, 10_000_000)[0]); // first request: JIT, file open
  const latencies: number[] = [];
  const inFlight = new Set<Promise<void>>();
  const interval = (1000 * perPost) / rate;
  const start = performance.now();
  for (let k = 0; k < count; k++) {
    const due = start + k * interval;
    while (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const request: Promise<void> = post(service, posts[k], `?ack=${ack}`).then(() => {
      latencies.push(performance.now() - due);
      inFlight.delete(request);
    });
    inFlight.add(request);
  }
  await Promise.all(inFlight);
  const elapsed = (performance.now() - start) / 1000;
  const written = await service.stop();
  if (written !== (count + 1) * perPost) {
    throw new Error(`latency bench: wrote ${written} of ${(count + 1) * perPost}`);
  }
  latencies.sort((a, b) => a - b);
  return {
    offered: rate,
    achieved: (count * perPost) / elapsed,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    max: latencies[latencies.length - 1],
  };
}

/** What the stream memory run saw. */
export interface StreamRss {
  /** Peak RSS of the service with the subscribers, MB. */
  readonly peakMb: number;
  /** Peak RSS of the same service and load with no subscriber, MB. */
  readonly baselineMb: number;
  /** Subscribers the service disconnected for not keeping up. */
  readonly slowDisconnects: number;
  /** Records events the reading subscribers received, in all. */
  readonly events: number;
}

/** Posts `rate` records/s for `seconds` in batches of 100; returns the records posted. */
async function postSteadily(service: Service, rate: number, seconds: number): Promise<number> {
  const count = Math.round((rate * seconds) / 100);
  const posts = bodies(count, 100);
  const start = performance.now();
  for (let k = 0; k < count; k++) {
    const wait = start + (k * 100 * 1000) / rate - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    await post(service, posts[k]);
  }
  return count * 100;
}

/**
 * i3. Peak RSS of the service with `subscribers` stream clients (each filtered on one of the four
 * bench symbols; `idle` of them never read) while `rate` records/s are posted for `seconds`,
 * against the same service and load with none.
 */
export async function benchStreamRss(
  subscribers: number,
  idle: number,
  rate: number,
  seconds: number,
): Promise<StreamRss> {
  const symbols = ["005930", "000660", "035420", "051910"];
  // Every subscriber and the poster come from one address: the service is told so (its default
  // allows 64 connections per address and would answer the rest 503). Both runs alike.
  const args = ["--max-connections-per-client", String(subscribers + 8)];
  const baseline = await startService(args);
  const stopBaseline = watchPeakRss(baseline.pid);
  const posted0 = await postSteadily(baseline, rate, seconds);
  const baselineMb = stopBaseline();
  if (await baseline.stop() !== posted0) throw new Error("stream bench: baseline lost records");

  const service = await startService(args);
  const stopPeak = watchPeakRss(service.pid);
  const controllers: AbortController[] = [];
  let events = 0;
  const readers: Promise<void>[] = [];
  for (let s = 0; s < subscribers; s++) {
    const controller = new AbortController();
    controllers.push(controller);
    const response = await fetch(`${service.base}/v1/stream?symbol=${symbols[s % 4]}`, {
      signal: controller.signal,
    });
    if (!response.ok) throw new Error(`stream bench: subscriber ${s}: ${response.status}`);
    if (s < idle) continue; // never read: the service must cut it off, not buffer for it
    readers.push((async () => {
      const decoder = new TextDecoder();
      try {
        for await (const chunk of response.body!) {
          const text = decoder.decode(chunk, { stream: true });
          for (let at = text.indexOf("event: record"); at >= 0;) {
            events++;
            at = text.indexOf("event: record", at + 1);
          }
        }
      } catch {
        // aborted at the end
      }
    })());
  }
  const posted = await postSteadily(service, rate, seconds);
  await new Promise((r) => setTimeout(r, 500));
  const status = await (await fetch(`${service.base}/v1/status`)).json();
  const peakMb = stopPeak();
  for (const controller of controllers) controller.abort();
  await Promise.all(readers);
  if (await service.stop() !== posted) throw new Error("stream bench: lost records");
  return { peakMb, baselineMb, slowDisconnects: status.stream.slowDisconnects, events };
}
