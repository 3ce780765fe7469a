import assert from "node:assert/strict";
import { join } from "node:path";
import { copyProject, fileLines, observerDir, serveNet, spawnScript } from "../helpers/project.ts";
import { freePort } from "../helpers/net.ts";
import { readUntilClosed, startService, waitUntilHealthy } from "../helpers/service.ts";
import { snapshotLine } from "../helpers/snapshot_file.ts";

const encoder = new TextEncoder();

Deno.test("serve: clients that hang up mid-body free their ingest slots at once (not after --body-timeout-ms)", async () => {
  const root = await copyProject();
  const service = await startService(root); // 8 ingest requests at once, 30 s for a body
  const { port } = service;
  let stopped = false;
  try {
    // 8 uploads that send their headers and part of a body, then hang up.
    const body = snapshotLine(1) + "\n";
    const size = encoder.encode(body).length;
    const quitters = await Promise.all(
      Array.from({ length: 8 }, () => Deno.connect({ hostname: "127.0.0.1", port })),
    );
    for (const conn of quitters) {
      await conn.write(encoder.encode(
        `POST /v1/snapshots HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
          `content-type: application/x-ndjson\r\ncontent-length: ${size}\r\n\r\n${
            body.slice(0, 20)
          }`,
      ));
    }
    await new Promise((r) => setTimeout(r, 300)); // they hold the 8 slots now
    for (const conn of quitters) conn.close();
    // Within 2 s (of 30 s), an upload is taken again.
    const t0 = performance.now();
    let status = 0;
    while (performance.now() - t0 < 2000) {
      const r = await fetch(`${service.base}/v1/snapshots`, { method: "POST", body });
      status = r.status;
      await r.body?.cancel();
      if (status === 200) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(status, 200, "an upload is taken once the clients that hung up are gone");
    const stop = await service.stop();
    stopped = true;
    assert.equal(stop.code, 0, stop.stderr);
    assert.doesNotMatch(stop.stderr, /Ingest request failed/);
  } finally {
    if (!stopped) await service.stop();
  }
});

Deno.test("serve: a POST whose client shuts its side after the body (half-close) is answered, and recorded once", async () => {
  const root = await copyProject();
  const service = await startService(root);
  const { port } = service;
  let stopped = false;
  try {
    // Half-close: the whole request, then the client shuts its side and reads the answer.
    const half = await Deno.connect({ hostname: "127.0.0.1", port });
    const second = snapshotLine(2) + "\n";
    await half.write(encoder.encode(
      `POST /v1/snapshots HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
        `content-type: application/x-ndjson\r\ncontent-length: ${
          encoder.encode(second).length
        }\r\n\r\n${second}`,
    ));
    await half.closeWrite();
    const answer = await readUntilClosed(half, 5000, { onTimeout: "return" });
    assert.match(answer, /^HTTP\/1\.1 200 /, `answer: ${JSON.stringify(answer)}`);
    assert.match(answer, /"accepted":1/);

    const stop = await service.stop();
    stopped = true;
    assert.equal(stop.code, 0, stop.stderr);
    const runs = (await fileLines(join(observerDir(root), "observer.jsonl")))
      .map((line) => JSON.parse(line).snapshot.meta.run_id);
    assert.deepEqual(runs, ["r2"], "recorded once");
  } finally {
    if (!stopped) await service.stop();
  }
});

/** Peak resident memory of process `pid` (VmHWM), in bytes. */
function peakRss(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kib = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
  assert.ok(kib !== undefined, "VmHWM in /proc/<pid>/status");
  return Number(kib) * 1024;
}

Deno.test("serve: gzip bombs are refused with 413 while inflating within a step of the body limit (8 at once: peak RSS grows by tens of MB, not hundreds)", async () => {
  // 256 MiB of zeros, gzipped: about 260 KB.
  const zero = new Uint8Array(1 << 20);
  const bomb = new Uint8Array(
    await new Response(
      ReadableStream.from((function* () {
        for (let i = 0; i < 256; i++) yield zero;
      })()).pipeThrough(new CompressionStream("gzip")),
    ).arrayBuffer(),
  );
  const root = await copyProject();
  const port = freePort();
  const child = await spawnScript(root, {
    task: "serve",
    script: "observer.ts",
    args: ["serve", "--listen", `127.0.0.1:${port}`],
    extraNet: serveNet(root, port),
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitUntilHealthy(base);
    const warm = await fetch(`${base}/v1/snapshots`, {
      method: "POST",
      body: snapshotLine(1) + "\n",
    });
    assert.equal(warm.status, 200);
    await warm.body?.cancel();
    const before = peakRss(child.pid);
    const answers = await Promise.all(Array.from({ length: 8 }, async () => {
      const r = await fetch(`${base}/v1/snapshots`, {
        method: "POST",
        body: bomb,
        headers: { "content-encoding": "gzip", "content-type": "application/x-ndjson" },
      });
      return [r.status, (await r.json()).error];
    }));
    const grown = peakRss(child.pid) - before;
    for (const [status, error] of answers) {
      assert.equal(status, 413);
      assert.match(error, /at most 4194304 bytes \(decompressed\)/);
    }
    assert.ok(
      grown < 120 * 1024 * 1024,
      `peak RSS grew by ${(grown / 1048576).toFixed(0)} MB: expected < 120`,
    );
    const health = await fetch(`${base}/healthz`);
    assert.equal(health.status, 200);
    await health.body?.cancel();
  } finally {
    child.kill("SIGTERM");
    const output = await child.output();
    assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  }
});

/** The `q` quantile of `xs` (sorted here). */
function quantile(xs: number[], q: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/**
 * A well-behaved client's small POSTs (10 snapshots each, one at a time, 10 ms apart), from
 * its own address: their latencies in ms, and their statuses.
 */
async function politePosts(
  base: string,
  client: Deno.HttpClient,
  count: number,
  from: number,
): Promise<{ latencies: number[]; statuses: number[] }> {
  const latencies: number[] = [];
  const statuses: number[] = [];
  for (let k = 0; k < count; k++) {
    let body = "";
    for (let i = 0; i < 10; i++) body += snapshotLine(from + k * 10 + i) + "\n";
    const t0 = performance.now();
    const r = await fetch(`${base}/v1/snapshots`, { method: "POST", body, client });
    await r.body?.cancel();
    latencies.push(performance.now() - t0);
    statuses.push(r.status);
    await new Promise((r) => setTimeout(r, 10));
  }
  return { latencies, statuses };
}

/**
 * One hostile client (127.0.0.1) at once: connections up to its limit (64) that send half a
 * request line and stop (slowloris), more beyond it, then, with a few of the held ones let go,
 * two connections posting 1,000-snapshot batches back to back and one asking for /v1/status back
 * to back. Runs until `stop` aborts; returns the first lines the connections beyond the limit got.
 */
async function flood(port: number, stop: AbortSignal): Promise<string[]> {
  const base = `http://127.0.0.1:${port}`;
  const held: Deno.Conn[] = [];
  for (let i = 0; i < 64; i++) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(encoder.encode("POST /v1/snap"));
    held.push(conn);
  }
  const beyond = await Promise.all(Array.from({ length: 4 }, async () => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    return (await readUntilClosed(conn, 5000, { onTimeout: "return" })).split("\r\n")[0];
  }));
  for (const conn of held.splice(0, 6)) conn.close(); // room for the three loops below
  let batch = "";
  for (let i = 0; i < 1000; i++) batch += snapshotLine(1_000_000 + i) + "\n";
  const big = encoder.encode(batch);
  const loop = async (request: () => Promise<Response>) => {
    while (!stop.aborted) await request().then((r) => r.body?.cancel(), () => {});
  };
  await Promise.all([
    loop(() => fetch(`${base}/v1/snapshots`, { method: "POST", body: big })),
    loop(() => fetch(`${base}/v1/snapshots`, { method: "POST", body: big })),
    loop(() => fetch(`${base}/v1/status`)),
  ]);
  for (const conn of held) conn.close();
  return beyond;
}

Deno.test("serve: one client flooding (slowloris connections to its limit, more beyond it, batches and status requests back to back) does not lock out another: every small POST of the other is answered 200, its p99 bounded against its own p99 without the flood", async () => {
  const root = await copyProject();
  const service = await startService(root);
  // The well-behaved client comes from another loopback address: the per-client limit is the
  // flooder's alone.
  const client = Deno.createHttpClient({ localAddress: "127.0.0.2" });
  let stopped = false;
  try {
    await politePosts(service.base, client, 10, 0); // warm-up: JIT, the file opened
    const quiet = await politePosts(service.base, client, 60, 1_000);
    const stop = new AbortController();
    const flooding = flood(service.port, stop.signal);
    await new Promise((r) => setTimeout(r, 300)); // the flood is under way
    const loud = await politePosts(service.base, client, 60, 2_000);
    stop.abort();
    const beyond = await flooding;
    const [p50q, p99q, p50f, p99f] = [
      quantile(quiet.latencies, 0.5),
      quantile(quiet.latencies, 0.99),
      quantile(loud.latencies, 0.5),
      quantile(loud.latencies, 0.99),
    ];
    console.log(
      `well-behaved client, 10-snapshot POSTs: without the flood p50 ${p50q.toFixed(1)} ms, ` +
        `p99 ${p99q.toFixed(1)} ms; under it p50 ${p50f.toFixed(1)} ms, p99 ${p99f.toFixed(1)} ms`,
    );
    assert.deepEqual([...new Set([...quiet.statuses, ...loud.statuses])], [200]);
    assert.ok(
      beyond.every((line) => line.startsWith("HTTP/1.1 503")),
      `connections beyond the flooder's limit are refused: ${JSON.stringify(beyond)}`,
    );
    // Load-tolerant: the 50 ms goal holds on a quiet machine (see docs/performance.md); on a
    // shared 2-core box the flood's batches take the cores, so the bound is relative.
    assert.ok(
      p99f <= Math.max(500, 20 * p99q),
      `p99 under the flood ${p99f.toFixed(1)} ms: expected ≤ max(500, 20 × ${p99q.toFixed(1)})`,
    );
    const stopping = await service.stop();
    stopped = true;
    assert.equal(stopping.code, 0, stopping.stderr);
  } finally {
    client.close();
    if (!stopped) await service.stop();
  }
});

Deno.test("serve: a second request pipelined behind the first (in the same write, or hidden past a short Content-Length) is neither answered nor recorded", async () => {
  const root = await copyProject();
  const service = await startService(root);
  const { port } = service;
  let stopped = false;
  const request = (line: string, length = encoder.encode(line).length) =>
    `POST /v1/snapshots HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
    `content-type: application/x-ndjson\r\ncontent-length: ${length}\r\n\r\n${line}`;
  try {
    const first = snapshotLine(1) + "\n";
    const hidden = snapshotLine(3) + "\n";
    for (
      const write of [
        request(first) + request(snapshotLine(2) + "\n"),
        request(first + request(hidden), encoder.encode(first).length),
      ]
    ) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      await conn.write(encoder.encode(write));
      const answer = await readUntilClosed(conn, 5000, { onTimeout: "return" });
      assert.equal(answer.match(/HTTP\/1\.1 /g)?.length, 1, `one answer: ${answer}`);
      assert.match(answer, /^HTTP\/1\.1 200 [^]*"accepted":1/);
    }
    const stop = await service.stop();
    stopped = true;
    assert.equal(stop.code, 0, stop.stderr);
    const runs = (await fileLines(join(observerDir(root), "observer.jsonl")))
      .map((line) => JSON.parse(line).snapshot.meta.run_id);
    assert.deepEqual(runs, ["r1", "r1"], "only each connection's first request is recorded");
  } finally {
    if (!stopped) await service.stop();
  }
});
