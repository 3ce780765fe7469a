import assert from "node:assert/strict";
import { join } from "node:path";
import { copyProject, fileLines, observerDir } from "../helpers/project.ts";
import { startService } from "../helpers/service.ts";
import { snapshotLine } from "../helpers/snapshot_file.ts";

const TOKEN = "origin-token-0123456789abcdef";

/** The status line and body of a request sent by hand (any Host header) to `port`. */
async function raw(port: number, head: string, body = ""): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const length = new TextEncoder().encode(body).length;
  await conn.write(
    new TextEncoder().encode(
      `${head}\r\n${body === "" ? "" : `content-length: ${length}\r\n`}\r\n${body}`,
    ),
  );
  let out = "";
  const buffer = new Uint8Array(65536);
  for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
    out += new TextDecoder().decode(buffer.subarray(0, n));
  }
  conn.close();
  return out;
}

async function statusOf(url: string, init: RequestInit = {}): Promise<number> {
  const response = await fetch(url, init);
  await response.body?.cancel();
  return response.status;
}

Deno.test("serve: with a token, every route but /healthz, /readyz (and the dashboard's page) needs it; --open-metrics leaves /metrics open", async () => {
  const root = await copyProject();
  const env = { QTS_TEST_TOKEN: TOKEN };
  const auth = { headers: { authorization: `Bearer ${TOKEN}` } };
  const closed = await startService(root, ["--token-env", "QTS_TEST_TOKEN"], env);
  try {
    assert.equal(await statusOf(`${closed.base}/healthz`), 200);
    assert.equal(await statusOf(`${closed.base}/readyz`), 200);
    assert.equal(await statusOf(`${closed.base}/`), 200);
    assert.equal(await statusOf(`${closed.base}/v1/status`), 401);
    assert.equal(await statusOf(`${closed.base}/metrics`), 401);
    assert.equal(await statusOf(`${closed.base}/v1/status`, auth), 200);
    assert.equal(await statusOf(`${closed.base}/metrics`, auth), 200);
  } finally {
    assert.equal((await closed.stop()).code, 0);
  }
  const open = await startService(root, ["--token-env", "QTS_TEST_TOKEN", "--open-metrics"], env);
  try {
    assert.equal(await statusOf(`${open.base}/metrics`), 200);
    assert.equal(await statusOf(`${open.base}/v1/status`), 401);
  } finally {
    assert.equal((await open.stop()).code, 0);
  }
});

Deno.test("serve: without a token, a browser's cross-origin write is refused (403) and a Host other than the service's is refused (421: DNS rebinding), nothing recorded; the service's own origin and hosts are served", async () => {
  const root = await copyProject();
  const service = await startService(root);
  const { base, port } = service;
  let stopped = false;
  try {
    const post = (headers: Record<string, string>, i: number) =>
      fetch(`${base}/v1/snapshots`, {
        method: "POST",
        body: snapshotLine(i) + "\n",
        headers: { "content-type": "text/plain", ...headers },
      }).then(async (r) => [r.status, (await r.json()).error ?? ""]);
    const evil = await post({ origin: "http://evil.example" }, 1);
    assert.equal(evil[0], 403);
    assert.match(evil[1], /expected a request from this service's own origin/);
    assert.equal((await post({ origin: "null" }, 2))[0], 403);
    assert.equal((await post({ "sec-fetch-site": "cross-site" }, 3))[0], 403);
    assert.equal((await post({ origin: `http://127.0.0.1:${port}` }, 4))[0], 200);
    assert.equal((await post({ origin: `http://localhost:${port}` }, 5))[0], 200);
    assert.equal((await post({ "sec-fetch-site": "same-origin" }, 6))[0], 200);
    assert.equal((await post({}, 7))[0], 200);

    const rebound = await raw(port, `GET /v1/status HTTP/1.1\r\nHost: evil.example:${port}`);
    assert.match(rebound, /^HTTP\/1\.1 421 /);
    assert.match(rebound, /expected Host 127\.0\.0\.1:\d+/);
    const stream = await raw(port, `GET /v1/stream HTTP/1.1\r\nHost: evil.example:${port}`);
    assert.match(stream, /^HTTP\/1\.1 421 /);
    const write = await raw(
      port,
      `POST /v1/snapshots HTTP/1.1\r\nHost: evil.example:${port}`,
      snapshotLine(8) + "\n",
    );
    assert.match(write, /^HTTP\/1\.1 421 /);
    assert.match(
      await raw(port, `GET /healthz HTTP/1.1\r\nHost: evil.example:${port}`),
      /^HTTP\/1\.1 200 /,
    );
    assert.match(
      await raw(port, `GET /v1/status HTTP/1.1\r\nHost: localhost:${port}`),
      /^HTTP\/1\.1 200 /,
    );

    const stop = await service.stop();
    stopped = true;
    assert.equal(stop.code, 0, stop.stderr);
    const runs = (await fileLines(join(observerDir(root), "observer.jsonl")))
      .map((line) => JSON.parse(line).snapshot.meta.run_id);
    assert.deepEqual(runs, ["r4", "r5", "r6", "r7"]);
  } finally {
    if (!stopped) await service.stop();
  }
});

Deno.test("serve: the dashboard is sent with a Content-Security-Policy (its inline scripts and styles by hash, no framing) and X-Frame-Options, X-Content-Type-Options", async () => {
  const root = await copyProject();
  const service = await startService(root);
  try {
    const response = await fetch(`${service.base}/`);
    const page = await response.text();
    const csp = response.headers.get("content-security-policy") ?? "";
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    const scripts = [...page.matchAll(/<script>([\s\S]*?)<\/script>/g)].map(([, text]) => text);
    assert.equal(scripts.length, 2);
    for (const text of scripts) {
      const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
      const hash = btoa(String.fromCharCode(...new Uint8Array(digest)));
      assert.ok(csp.includes(`'sha256-${hash}'`), "each inline script is allowed by its hash");
    }
    assert.equal(response.headers.get("x-frame-options"), "DENY");
    assert.equal(response.headers.get("x-content-type-options"), "nosniff");
  } finally {
    assert.equal((await service.stop()).code, 0);
  }
});
