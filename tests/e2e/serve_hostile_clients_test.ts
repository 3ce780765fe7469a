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
