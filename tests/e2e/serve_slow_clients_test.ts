import assert from "node:assert/strict";
import { join } from "node:path";
import { copyProject, fileLines, observerDir } from "../helpers/project.ts";
import { readUntilClosed, startService } from "../helpers/service.ts";
import { snapshotLine } from "../helpers/snapshot_file.ts";

const encoder = new TextEncoder();

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
    await slow.write(encoder.encode(`POST /v1/snapshots HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`));
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
      `POST /v1/snapshots HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\ncontent-type: application/x-ndjson\r\n` +
        `content-length: ${encoder.encode(body).length}\r\n\r\n${body.slice(0, 20)}`,
    ));
    const answer = await readUntilClosed(dribble, 5000);
    assert.match(answer, /^HTTP\/1\.1 408 /);
    assert.match(answer, /expected the whole body in time, got it too slowly/);

    // 3. Headers larger than 64 KiB: 431.
    const huge = await Deno.connect({ hostname: "127.0.0.1", port });
    const padding = "x".repeat(70 * 1024);
    await huge.write(
      encoder.encode(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nx-pad: ${padding}`),
    )
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

Deno.test("serve: a head with bare LF line endings is refused (400), so no header slips past the guard; a stream client that hangs up is let go; SIGTERM ends even while a stream client stops reading", async () => {
  const root = await copyProject();
  const service = await startService(root);
  const { port } = service;
  let stopped = false;
  try {
    const sneaky = await Deno.connect({ hostname: "127.0.0.1", port });
    await sneaky.write(
      encoder.encode(
        `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\nX-QTS-Peer: 6.6.6.6:1\r\n\r\n`,
      ),
    );
    const refused = await readUntilClosed(sneaky, 5000);
    assert.match(refused, /^HTTP\/1\.1 400 /);
    assert.match(refused, /expected request headers in CRLF lines, got a line ending in LF/);

    // A stream client that connects and hangs up: the service lets go of it.
    const gone = await Deno.connect({ hostname: "127.0.0.1", port });
    await gone.write(encoder.encode(`GET /v1/stream HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`));
    await new Promise((r) => setTimeout(r, 300));
    const subscribers = async () =>
      (await (await fetch(`${service.base}/v1/status`)).json()).stream.subscribers;
    assert.equal(await subscribers(), 1);
    gone.close();
    let left = 1;
    for (let i = 0; i < 100 && left > 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      left = await subscribers();
    }
    assert.equal(left, 0, "the subscriber is gone with its client");

    // A stream client that never reads while ~3 MB of records are written, then SIGTERM: the
    // service still stops (within its grace period), with every record written.
    const stuck = await Deno.connect({ hostname: "127.0.0.1", port });
    await stuck.write(encoder.encode(`GET /v1/stream HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`));
    for (let from = 0; from < 2000; from += 500) {
      let body = "";
      for (let i = from; i < from + 500; i++) body += snapshotLine(i) + "\n";
      const r = await fetch(`${service.base}/v1/snapshots`, { method: "POST", body });
      assert.equal(r.status, 200);
      await r.body?.cancel();
    }
    const t0 = performance.now();
    const stop = await service.stop();
    stopped = true;
    const seconds = (performance.now() - t0) / 1000;
    stuck.close();
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stdout, /^summary: written=2000 /m);
    assert.ok(seconds < 15, `stopped in ${seconds.toFixed(1)} s`);
  } finally {
    if (!stopped) await service.stop();
  }
});
