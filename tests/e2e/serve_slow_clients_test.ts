import assert from "node:assert/strict";
import { join } from "node:path";
import { copyProject, fileLines, observerDir } from "../helpers/project.ts";
import { startService } from "../helpers/service.ts";
import { snapshotLine } from "../helpers/snapshot_file.ts";

const encoder = new TextEncoder();

/** Everything the server sends on `conn` until it closes it (or `ms` pass: then throws). */
async function readUntilClosed(conn: Deno.Conn, ms: number): Promise<string> {
  const timer = setTimeout(() => conn.close(), ms);
  let text = "";
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(65536);
  try {
    while (true) {
      const n = await conn.read(buffer);
      if (n === null) break;
      text += decoder.decode(buffer.subarray(0, n), { stream: true });
    }
  } catch (error) {
    throw new Error(`the server did not close the connection within ${ms} ms (${error})`);
  } finally {
    clearTimeout(timer);
  }
  try {
    conn.close();
  } catch {
    // closed
  }
  return text + decoder.decode();
}

Deno.test("serve: slow clients are cut off (headers within --header-timeout-ms, bodies within --body-timeout-ms, 431 for huge headers) while others are served", async () => {
  const root = await copyProject();
  const service = await startService(root, [
    "--header-timeout-ms",
    "600",
    "--body-timeout-ms",
    "800",
  ]);
  const { port } = service;
  let stopped = false;
  try {
    // 1. Half a request line, then nothing: closed after the header timeout, not before.
    const slow = await Deno.connect({ hostname: "127.0.0.1", port });
    await slow.write(encoder.encode("POST /v1/snapshots HTTP/1.1\r\nHost: x\r\n"));
    const opened = performance.now();
    const slowClosed = readUntilClosed(slow, 5000);

    // Meanwhile a normal client is served at once.
    const ok = await fetch(`${service.base}/v1/snapshots`, {
      method: "POST",
      body: snapshotLine(1) + "\n",
    });
    assert.equal(ok.status, 200);
    assert.equal((await ok.json()).accepted, 1);

    assert.equal(await slowClosed, "", "no answer, the connection is just closed");
    const waited = performance.now() - opened;
    assert.ok(waited >= 500, `closed after ${waited} ms: expected about 600`);

    // 2. Whole headers, then a body that stops short: 408, nothing of it recorded.
    const body = snapshotLine(2) + "\n";
    const dribble = await Deno.connect({ hostname: "127.0.0.1", port });
    await dribble.write(encoder.encode(
      `POST /v1/snapshots HTTP/1.1\r\nHost: x\r\ncontent-type: application/x-ndjson\r\n` +
        `content-length: ${encoder.encode(body).length}\r\n\r\n${body.slice(0, 20)}`,
    ));
    const answer = await readUntilClosed(dribble, 5000);
    assert.match(answer, /^HTTP\/1\.1 408 /);
    assert.match(answer, /expected the whole body in time, got it too slowly/);

    // 3. Headers larger than 64 KiB: 431.
    const huge = await Deno.connect({ hostname: "127.0.0.1", port });
    const padding = "x".repeat(70 * 1024);
    await huge.write(encoder.encode(`GET /healthz HTTP/1.1\r\nHost: x\r\nx-pad: ${padding}`))
      .catch(() => 0);
    const refused = await readUntilClosed(huge, 5000);
    assert.match(refused, /^HTTP\/1\.1 431 /);
    assert.match(refused, /expected request headers of at most 65536 bytes/);

    // The status counts what happened at the door.
    const status = await (await fetch(`${service.base}/v1/status`)).json();
    assert.equal(status.connections.headerTimeouts, 1);
    assert.equal(status.connections.refused, 1);
    assert.equal(status.observer.dispatched, 1);

    const stop = await service.stop();
    stopped = true;
    assert.equal(stop.code, 0, stop.stderr);
    const lines = await fileLines(join(observerDir(root), "observer.jsonl"));
    assert.equal(lines.length, 1, "only the normal client's snapshot was recorded");
    assert.deepEqual(
      [...Deno.readDirSync(observerDir(root))].map((e) => e.name).filter((n) =>
        n.endsWith(".sock")
      ),
      [],
      "the socket behind the guard is removed at shutdown",
    );
  } finally {
    if (!stopped) await service.stop();
  }
});
