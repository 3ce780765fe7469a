/**
 * A subscriber of the record file's stream that never reads: a real TCP socket that sends its
 * GET and then reads nothing. It must be let go of and its connection cut, once it is more than
 * `maxLagBytes` behind, or once its send buffer stayed stuck for the guard's send timeout. The
 * bounds are generous (records are posted until it happens, at most a bound of them): nothing
 * races a wall clock.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openPipeline, type Pipeline } from "../../src/app/pipeline.ts";
import { getObserverLogger } from "../../src/log/logging.ts";
import { type ObserverServer, startObserverServer } from "../../src/server/observer_server.ts";
import type { FileStreamLimits } from "../../src/server/record_file_stream.ts";
import type { ServerLimits } from "../../src/server/server_limits.ts";
import { readUntilClosed } from "../helpers/service.ts";
import { snapshotLine } from "../helpers/snapshot_file.ts";
import { tempDir } from "../helpers/temp.ts";

const encoder = new TextEncoder();

async function service(
  limits: Partial<ServerLimits>,
  streamLimits: Partial<FileStreamLimits>,
): Promise<{ pipeline: Pipeline; server: ObserverServer; base: string }> {
  const root = await tempDir("stuck-stream");
  const pipeline = await openPipeline({ root });
  const server = await startObserverServer({
    pipeline,
    hostname: "127.0.0.1",
    port: 0,
    socketPath: join(root, "data", "observer", ".serve.sock"),
    logger: getObserverLogger("server"),
    limits,
    streamLimits,
  });
  return { pipeline, server, base: `http://127.0.0.1:${server.port}` };
}

interface Status {
  stream: { subscribers: number; slowDisconnects: number };
  connections: { open: number; sendTimeouts: number };
}

const status = async (base: string) => (await (await fetch(`${base}/v1/status`)).json()) as Status;

/** A GET of the stream on a raw socket that is never read (until the test checks its end). */
async function stuckSubscriber(port: number): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(
    encoder.encode(`GET /v1/stream HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`),
  );
  return conn;
}

/** Posts batches of 1,000 snapshots (about 1.2 MB of records each) until `done`, at most `most`. */
async function postUntil(base: string, done: (s: Status) => boolean, most: number) {
  for (let batch = 0; batch < most; batch++) {
    if (done(await status(base))) return batch;
    let body = "";
    for (let i = batch * 1000; i < (batch + 1) * 1000; i++) body += snapshotLine(i) + "\n";
    const response = await fetch(`${base}/v1/snapshots?ack=durable`, { method: "POST", body });
    assert.equal(response.status, 200, await response.text());
  }
  for (let i = 0; i < 200 && !done(await status(base)); i++) {
    await new Promise((r) => setTimeout(r, 50)); // the stream looks at the file every 20 ms
  }
  return most;
}

Deno.test("file stream: a subscriber that never reads is let go of (counted slow) and its connection cut once it is more than maxLagBytes behind", async () => {
  // The send timeout far away: only the lag can end it.
  const { pipeline, server, base } = await service({ sendTimeoutMs: 600_000 }, {
    maxLagBytes: 1024 * 1024,
  });
  try {
    const conn = await stuckSubscriber(server.port);
    for (let i = 0; i < 100 && (await status(base)).stream.subscribers === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal((await status(base)).stream.subscribers, 1);
    // Kernel buffers on both sides of the guard take some MB before the subscriber stalls.
    await postUntil(base, (s) => s.stream.slowDisconnects > 0, 60);
    const after = await status(base);
    assert.deepEqual([after.stream.slowDisconnects, after.stream.subscribers], [1, 0]);
    // Its connection is cut: what it had not read is there, then the end (no wait for a timeout).
    const text = await readUntilClosed(conn, 20_000);
    assert.match(text, /^HTTP\/1\.1 200/);
    assert.equal((await status(base)).connections.sendTimeouts, 0, "cut for its lag");
  } finally {
    await server.shutdown();
    await pipeline.close();
  }
});

Deno.test("guard: a stream client whose send buffer stays stuck past sendTimeoutMs is disconnected and its subscriber let go of", async () => {
  // The lag far away: only the stuck send can end it.
  const { pipeline, server, base } = await service({ sendTimeoutMs: 300 }, {
    maxLagBytes: 1024 ** 3,
  });
  try {
    const conn = await stuckSubscriber(server.port);
    await postUntil(base, (s) => s.connections.sendTimeouts > 0 && s.stream.subscribers === 0, 60);
    const after = await status(base);
    assert.deepEqual(
      [after.connections.sendTimeouts, after.stream.subscribers, after.stream.slowDisconnects],
      [1, 0, 0],
    );
    const text = await readUntilClosed(conn, 20_000);
    assert.match(text, /^HTTP\/1\.1 200/);
  } finally {
    await server.shutdown();
    await pipeline.close();
  }
});
