import assert from "node:assert/strict";
import { join } from "node:path";
import {
  copyProject,
  fileLines,
  observerDir,
  PROJECT_ROOT,
  runScript,
  serveNet,
  spawnScript,
  taskPermissionFlags,
} from "../helpers/project.ts";
import { freePort } from "../helpers/net.ts";
import { snapshotLine } from "../helpers/snapshot_file.ts";
import { readEvents, startService, waitUntilHealthy } from "../helpers/service.ts";

const TOKEN = "test-token-0123456789abcdef";

async function post(url: string, body: BodyInit, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: "POST",
    body,
    headers: {
      "content-type": "application/x-ndjson",
      authorization: `Bearer ${TOKEN}`,
      ...headers,
    },
  });
  return { status: response.status, body: await response.json(), headers: response.headers };
}

Deno.test("serve: snapshot lines posted over HTTP are recorded like stdin; blocked and rejected lines are answered and dead-lettered; SIGTERM drains", async () => {
  const root = await copyProject();
  const { base, stop } = await startService(root, [
    "--token-env",
    "QTS_TEST_TOKEN",
    "--max-body-bytes",
    "200000",
    "--max-lines",
    "50",
  ], {
    QTS_TEST_TOKEN: TOKEN,
  });
  let stopped = false;
  try {
    const blocked = snapshotLine(1).replace(/"price":\d+/, '"price":NaN');
    const body = [snapshotLine(0), blocked, "not json", snapshotLine(2)].join("\n") + "\n";
    const first = await post(`${base}/v1/snapshots`, body);
    assert.equal(first.status, 200);
    assert.equal(first.body.accepted, 2);
    assert.deepEqual(
      first.body.blocked.map((b: { line: number; run_id: string }) => [b.line, b.run_id]),
      [[2, "r1"]],
    );
    assert.match(first.body.blocked[0].reasons[0], /observation\.inputs\.price/);
    assert.equal(first.body.rejected[0].line, 3);
    assert.match(first.body.rejected[0].reason, /not valid JSON/);

    // gzip, and ack=durable: answered once written (and synced per the fsync policy)
    const gz = new Blob([[3, 4, 5].map(snapshotLine).join("\n") + "\n"]).stream()
      .pipeThrough(new CompressionStream("gzip"));
    const zipped = new Uint8Array(await new Response(gz).arrayBuffer());
    const second = await post(`${base}/v1/snapshots?ack=durable`, zipped, {
      "content-encoding": "gzip",
    });
    assert.deepEqual([second.status, second.body.accepted, second.body.ack], [200, 3, "durable"]);
    const lines = await fileLines(join(observerDir(root), "observer.jsonl"));
    assert.deepEqual(lines.map((l) => JSON.parse(l).snapshot.meta.run_id), [
      "r0",
      "r2",
      "r3",
      "r4",
      "r5",
    ]);

    // Refused requests record nothing.
    const tooBig = await post(`${base}/v1/snapshots`, snapshotLine(6) + "\n" + "x".repeat(200_001));
    assert.equal(tooBig.status, 413);
    assert.match(tooBig.body.error, /at most 200000 bytes/);
    const tooMany = await post(`${base}/v1/snapshots`, Array(51).fill(snapshotLine(7)).join("\n"));
    assert.equal(tooMany.status, 413);
    assert.match(tooMany.body.error, /at most 50 lines/);
    const noToken = await post(`${base}/v1/snapshots`, snapshotLine(8), { authorization: "" });
    assert.equal(noToken.status, 401);
    const wrong = await post(`${base}/v1/snapshots`, snapshotLine(8), {
      authorization: `Bearer ${TOKEN}x`,
    });
    assert.equal(wrong.status, 401);
    // A JSON array body: each element takes the same path, with its own text.
    const nanElement = snapshotLine(11).replace(/"price":\d+/, '"price":NaN');
    const array = await post(
      `${base}/v1/snapshots?ack=durable`,
      `[\n  ${snapshotLine(10)},\n  ${nanElement}\n]`,
      { "content-type": "application/json" },
    );
    assert.deepEqual([array.status, array.body.accepted], [200, 1]);
    assert.deepEqual(array.body.blocked.map((b: { line: number }) => b.line), [2]);
    const notArray = await post(`${base}/v1/snapshots`, snapshotLine(12), {
      "content-type": "application/json",
    });
    assert.equal(notArray.status, 400);
    assert.match(notArray.body.error, /expected a JSON array opening with \[/);
    const manyElements = await post(`${base}/v1/snapshots`, `[${Array(51).fill("{}").join(",")}]`, {
      "content-type": "application/json",
    });
    assert.equal(manyElements.status, 413);
    const badAck = await post(`${base}/v1/snapshots?ack=maybe`, snapshotLine(9));
    assert.equal(badAck.status, 400);

    // Health and readiness need no token; status and metrics do.
    assert.equal((await fetch(`${base}/readyz`).then((r) => r.json())).ready, true);
    const auth = { headers: { authorization: `Bearer ${TOKEN}` } };
    const status = await fetch(`${base}/v1/status`, auth).then((r) => r.json());
    assert.equal(status.observer.received, 8);
    assert.equal(status.sinks[0].written, 6);
    assert.equal(status.http["/v1/snapshots 413"], 3);
    assert.equal((await fetch(`${base}/nope`)).status, 404);
    const metrics = await fetch(`${base}/metrics`, auth).then((r) => r.text());
    assert.match(metrics, /^qts_snapshots_total\{outcome="dispatched"\} 6$/m);
    assert.match(metrics, /^qts_snapshots_total\{outcome="blocked_validation"\} 2$/m);
    assert.match(metrics, /^qts_snapshots_total\{outcome="rejected"\} 1$/m);
    assert.match(
      metrics,
      /^qts_sink_records_total\{sink="observer\.jsonl",outcome="written"\} 6$/m,
    );
    assert.match(metrics, /^qts_sink_failing\{sink="observer\.jsonl"\} 0$/m);
    assert.match(metrics, /^qts_http_requests_total\{route="\/v1\/snapshots",status="413"\} 3$/m);
    assert.match(metrics, /^qts_dead_letters_total 3$/m);
    assert.match(metrics, /^qts_sink_queued_bytes\{sink="observer\.jsonl"\} \d+$/m);
    // Durations as histograms: every batch write is counted, and the buckets add up to it.
    const flushes = Number(
      /^qts_sink_flush_seconds_count\{sink="observer\.jsonl"\} (\d+)$/m.exec(metrics)?.[1],
    );
    assert.ok(flushes >= 1, metrics);
    assert.match(
      metrics,
      new RegExp(
        `^qts_sink_flush_seconds_bucket\\{sink="observer\\.jsonl",le="\\+Inf"\\} ${flushes}$`,
        "m",
      ),
    );
    assert.match(metrics, /^# TYPE qts_sink_fsync_seconds histogram$/m);
    assert.match(metrics, /^qts_sink_fsync_seconds_count\{sink="observer\.jsonl"\} \d+$/m);
    assert.match(metrics, /^qts_stream_subscribers 0$/m);
    assert.match(metrics, /^qts_http_connections [1-9]\d*$/m, "this request's connection is open");
    assert.match(metrics, /^qts_http_connections_closed_total\{reason="header_timeout"\} 0$/m);

    const result = await stop();
    stopped = true;
    assert.equal(result.code, 1, result.stderr); // blocked and rejected lines
    assert.match(result.stdout, /^summary: written=6 blocked=2 rejected=1 /m);
    const dead = (await fileLines(join(observerDir(root), "observer.rejected.jsonl"))).map((l) =>
      JSON.parse(l)
    );
    assert.deepEqual(dead.map((d) => [d.kind, d.line, d.text]), [
      ["blocked", 2, blocked],
      ["rejected", 3, "not json"],
      ["blocked", 2, nanElement],
    ]);
    assert.match(dead[0].input, /^http:127\.0\.0\.1:\d+#1$/);
    assert.equal(
      (await fileLines(join(observerDir(root), "observer.jsonl"))).length,
      6,
      "refused requests recorded nothing",
    );
  } finally {
    if (!stopped) await stop();
  }
});

Deno.test("serve: refuses to listen beyond loopback without a token, or where the task grants no access", async () => {
  const root = await copyProject();
  for (
    const [listen, message] of [
      ["0.0.0.0:18089", /expected --token-env or --token-file to listen beyond this machine/],
      ["127.0.0.1:1", /no permission to listen there .*--allow-net=127\.0\.0\.1:1,unix:\//],
    ] as const
  ) {
    const child = await spawnScript(root, {
      task: "serve",
      script: "observer.ts",
      args: ["serve", "--listen", listen],
    });
    const output = await child.output();
    assert.equal(output.code, 2);
    assert.match(new TextDecoder().decode(output.stderr), message);
  }
  assert.deepEqual([...Deno.readDirSync(observerDir(root))], [], "nothing was opened");
});

Deno.test("serve: Python producers posting at once through retries record every snapshot exactly once", async () => {
  const python = await new Deno.Command("python3", { args: ["--version"] }).output().then(
    (o) => o.success,
    () => false,
  );
  if (!python) {
    console.log("skipped: the Python producer test needs python3 (CI installs it)");
    return;
  }
  const root = await copyProject();
  const port = freePort();
  const url = `http://127.0.0.1:${port}/v1/snapshots`;
  const producers = [1, 2, 3, 4].map((seed) =>
    new Deno.Command("bash", {
      args: [
        "-c",
        `python3 examples/producer.py --ticks 60 --seed ${seed} | ` +
        `python3 examples/python_producer.py --url ${url} --batch 20 --ack durable`,
      ],
      cwd: PROJECT_ROOT,
      stdout: "piped",
      stderr: "piped",
    }).spawn()
  );
  // The producers start before the service: their first attempts are refused and retried.
  await new Promise((r) => setTimeout(r, 300));
  const child = await spawnScript(root, {
    task: "serve",
    script: "observer.ts",
    args: ["serve", "--listen", `127.0.0.1:${port}`, "--max-concurrent-requests", "1"],
    extraNet: serveNet(root, port),
  });
  try {
    const totals = await Promise.all(producers.map(async (p) => {
      const output = await p.output();
      assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
      return JSON.parse(new TextDecoder().decode(output.stdout));
    }));
    assert.deepEqual(totals.map((t) => t.accepted), [120, 120, 120, 120]);
    assert.ok(totals.reduce((n, t) => n + t.retries, 0) > 0, "some attempts were retried");
    console.log(`retries: ${totals.map((t) => t.retries).join(", ")}`);
  } finally {
    child.kill("SIGTERM");
    await child.output();
  }
  const ids = (await fileLines(join(observerDir(root), "observer.jsonl")))
    .map((l) => JSON.parse(l).snapshot.meta.run_id);
  assert.equal(ids.length, 480);
  assert.equal(new Set(ids).size, 480, "no snapshot twice");
});

Deno.test("main.ts --post sends its session to the service: every snapshot recorded there once", async () => {
  const root = await copyProject();
  const { base, stop } = await startService(root);
  let stopped = false;
  try {
    const client = await copyProject();
    const run = await runScript(client, {
      task: "run",
      script: "main.ts",
      args: ["--ticks", "40", "--post", `${base}/v1/snapshots`, "--post-batch", "25"],
      extraNet: [base.slice("http://".length)],
    });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^summary: posted=120 accepted=120 blocked=0 rejected=0 batches=5 /m);
    assert.deepEqual([...Deno.readDirSync(observerDir(client))], [], "nothing recorded locally");
    const result = await stop();
    stopped = true;
    assert.equal(result.code, 0, result.stderr);
    const ids = (await fileLines(join(observerDir(root), "observer.jsonl")))
      .map((l) => JSON.parse(l).snapshot.meta.run_id);
    assert.equal(new Set(ids).size, 120);
    assert.equal(ids.length, 120);
  } finally {
    if (!stopped) await stop();
  }
  const far = await runScript(root, {
    task: "run",
    script: "main.ts",
    args: ["--post", "http://db.example:8089/v1/snapshots"],
  });
  assert.equal(far.code, 2);
  assert.match(far.stderr, /no permission to reach db\.example:8089.*--allow-net=db\.example:8089/);
});

Deno.test("serve: when a sink stays full the request waits, then gets 503 and nothing of it is recorded", async () => {
  const root = await copyProject();
  const config = join(root, "slow.jsonc");
  await Deno.writeTextFile(
    config,
    `{ "sinks": [{ "type": "stdout", "queue_bytes": 20000, "flush_bytes": 4096 }] }`,
  );
  const port = freePort();
  const out = join(root, "out.jsonl");
  const go = join(root, "read-now");
  const flags = (await taskPermissionFlags("serve", root)).map((f) =>
    f.startsWith("--allow-net=") ? `${f},${serveNet(root, port).join(",")}` : f
  );
  // The service's stdout goes to a reader that does not read until the test says so (a file
  // appears): the pipe fills, then the stdout sink's small queue. No clock decides when.
  const script = [
    Deno.execPath(),
    "run",
    ...flags,
    join(root, "observer.ts"),
    "serve",
    "--listen",
    `127.0.0.1:${port}`,
    "--config",
    config,
    "--backpressure-wait-ms",
    "300",
  ].map((a) => `'${a}'`).join(" ");
  const child = new Deno.Command("bash", {
    args: ["-c", `${script} | (until [ -e '${go}' ]; do sleep 0.05; done; cat > '${out}')`],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const base = `http://127.0.0.1:${port}`;
  // Stops the service (the shell's first child), then lets the reader drain; also when an
  // assertion failed, so that no service outlives the test.
  const stop = async () => {
    await Deno.writeTextFile(go, "");
    await new Deno.Command("pkill", { args: ["-TERM", "-f", `127.0.0.1:${port} --config`] })
      .output();
    await child.stderr.cancel().catch(() => {});
    await child.status;
  };
  let accepted = 0;
  let refused = 0;
  try {
    await waitUntilHealthy(base);
    let next = 0;
    for (let request = 0; request < 200 && refused === 0; request++) {
      const body = Array.from({ length: 20 }, () => snapshotLine(next++)).join("\n") + "\n";
      const response = await fetch(`${base}/v1/snapshots`, { method: "POST", body });
      const answer = await response.json();
      if (response.status === 503) {
        refused++;
        assert.equal(response.headers.get("retry-after"), "1");
        assert.match(
          answer.error,
          /queues are full \(stdout#0\); nothing of this request was recorded/,
        );
        next -= 20; // the client would send these again
      } else {
        assert.equal(response.status, 200);
        accepted += answer.accepted;
      }
    }
    await Deno.writeTextFile(go, "");
    assert.equal(refused, 1, "a full sink turned a request away");
    await fetch(`${base}/readyz`).then((r) => r.body?.cancel());
  } finally {
    await stop();
  }
  const ids = (await fileLines(out)).map((l) => JSON.parse(l).snapshot.meta.run_id);
  assert.equal(ids.length, accepted, "what was answered accepted is what was written");
  assert.deepEqual(ids, Array.from({ length: accepted }, (_, i) => `r${i}`), "in order, no gap");
});

Deno.test("serve: /v1/stream sends records as Server-Sent Events, filtered, resumable with Last-Event-ID", async () => {
  const root = await copyProject();
  const { base, stop } = await startService(root, ["--token-env", "QTS_TEST_TOKEN"], {
    QTS_TEST_TOKEN: TOKEN,
  });
  const auth = { authorization: `Bearer ${TOKEN}` };
  try {
    assert.equal(await fetch(`${base}/v1/stream`).then((r) => (r.body?.cancel(), r.status)), 401);
    const bad = await fetch(`${base}/v1/stream?where=volume`, { headers: auth });
    assert.equal(bad.status, 400);
    assert.match((await bad.json()).error, /where/);

    const samsung = await fetch(`${base}/v1/stream?symbol=005930`, { headers: auth });
    assert.equal(samsung.headers.get("content-type"), "text/event-stream; charset=utf-8");
    const blockedOnly = await fetch(`${base}/v1/stream?guard=BLOCK`, { headers: auth });
    const nan = snapshotLine(6).replace(/"price":\d+/, '"price":NaN');
    const body = [0, 1, 2, 3, 4, 5].map(snapshotLine).join("\n") + "\n" + nan + "\n";
    assert.equal((await post(`${base}/v1/snapshots`, body)).status, 200);

    const events = await readEvents(samsung.body!, 2);
    assert.deepEqual(events.map((e) => JSON.parse(e.data).snapshot.meta.run_id), ["r0", "r4"]);
    const blockedEvents = await readEvents(blockedOnly.body!, 1);
    assert.equal(JSON.parse(blockedEvents[0].data).metadata.guard.action, "BLOCK");
    assert.equal(JSON.parse(blockedEvents[0].data).snapshot.meta.run_id, "r6");

    // A client that saw r0 reconnects: it gets r4 at once, read back from the record file.
    const resumed = await fetch(`${base}/v1/stream?symbol=005930`, {
      headers: { ...auth, "last-event-id": events[0].id! },
    });
    const missed = await readEvents(resumed.body!, 1);
    assert.deepEqual(missed.map((e) => [e.id, JSON.parse(e.data).snapshot.meta.run_id]), [
      [events[1].id, "r4"],
    ]);
    const status = await fetch(`${base}/v1/status`, { headers: auth }).then((r) => r.json());
    assert.equal(typeof status.stream.subscribers, "number");
  } finally {
    const result = await stop();
    assert.match(result.stdout, /^summary: written=6 blocked=1 /m, result.stderr);
  }
});
