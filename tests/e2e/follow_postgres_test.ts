import assert from "node:assert/strict";
import { join } from "node:path";
import {
  copyProject,
  observerDir,
  parseFieldsLine,
  runScript,
  spawnScript,
} from "../helpers/project.ts";
import { type PrivateServer, startPrivateServer, testClient } from "../helpers/postgres.ts";
import { snapshotLine, writeSnapshotFile } from "../helpers/snapshot_file.ts";
import { startService } from "../helpers/service.ts";
import { waitFor } from "../helpers/wait.ts";
import { processThreads } from "../helpers/threads.ts";
import { collected } from "../helpers/collected.ts";

/** A project copy with a config of a JSONL log and a postgres follower on `server`. */
async function project(server: PrivateServer, count: number) {
  const root = await copyProject();
  const config = join(root, "follow.jsonc");
  await Deno.writeTextFile(
    config,
    `{ "sinks": [
      { "type": "jsonl", "name": "log", "file": "log.jsonl" },
      { "type": "postgres", "name": "db", "url": "${server.url}", "table": "followed" }
    ] }`,
  );
  const input = join(root, "in.jsonl");
  await writeSnapshotFile(input, count);
  return { root, config, input, extraNet: [`127.0.0.1:${server.port}`] };
}

async function lineCount(path: string): Promise<number> {
  const bytes = await Deno.readFile(path).catch(() => new Uint8Array());
  let n = 0;
  for (let i = bytes.indexOf(0x0a); i >= 0; i = bytes.indexOf(0x0a, i + 1)) n++;
  return n;
}

async function rows(server: PrivateServer): Promise<{ count: number; distinct: number }> {
  const sql = testClient(server.url);
  try {
    const [row] = await sql`
      SELECT count(*)::int AS count, count(DISTINCT run_id)::int AS distinct FROM followed`;
    return { count: row.count, distinct: row.distinct };
  } catch {
    return { count: 0, distinct: 0 }; // no table yet
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

async function withServer(
  t: Deno.TestContext,
  fn: (server: PrivateServer) => Promise<void>,
): Promise<void> {
  const server = await startPrivateServer();
  if (typeof server === "string") {
    console.log(`skipped: follower outage test: ${server}`);
    await t.step({ name: "needs a private PostgreSQL server", ignore: true, fn: () => {} });
    return;
  }
  try {
    await fn(server);
  } finally {
    await server.destroy();
  }
}

Deno.test("follow: PostgreSQL down for a whole recording of 20,000 snapshots: the run waits at its end, and once the server is back every row is there exactly once (exit 0)", async (t) => {
  await withServer(t, async (server) => {
    const { root, config, input, extraNet } = await project(server, 20_000);
    await server.stop();
    const child = await spawnScript(root, {
      task: "observer",
      script: "observer.ts",
      args: ["--config", config, "--input", input],
      extraNet,
    });
    const stdoutText = collected(child.stdout);
    const stderrText = collected(child.stderr);
    const log = join(observerDir(root), "log.jsonl");
    await waitFor("the whole log", async () => await lineCount(log) === 20_000);
    if (Deno.build.os === "linux") {
      // The task's flags let the follower's worker step back for the recording (nice 10).
      const threads = processThreads(child.pid);
      assert.ok(
        threads.some((t) => t.name.startsWith("worker") && t.nice === 10),
        JSON.stringify(threads),
      );
    }
    // The follower has met the outage (at nice 10 on a busy machine, maybe only by now).
    await waitFor(
      "the follower failing",
      () => /Follower db cannot deliver/.test(stderrText.now()),
    );
    await server.start();
    const status = await child.status;
    const stdout = await stdoutText.done;
    const stderr = await stderrText.done;
    assert.equal(status.code, 0, stderr);
    assert.match(stderr, /Follower db cannot deliver to PostgreSQL table followed/);
    const db = parseFieldsLine(stdout, "sink db");
    assert.deepEqual([db.written, db.state, db.behind, db.not_written], [
      "20000",
      "finished",
      "0",
      "0",
    ]);
    assert.deepEqual(await rows(server), { count: 20_000, distinct: 20_000 });
  });
});

Deno.test("follow: the recorder SIGKILLed while PostgreSQL is down mid-replay of 50,000 snapshots; `observer.ts follow` then resumes at the checkpoint and every row is there exactly once", async (t) => {
  await withServer(t, async (server) => {
    const { root, config, input, extraNet } = await project(server, 50_000);
    const child = await spawnScript(root, {
      task: "observer",
      script: "observer.ts",
      args: ["replay", "--config", config, input],
      extraNet,
    });
    const checkpointFile = join(observerDir(root), "log.follow.db.checkpoint.json");
    const checkpointed = async () =>
      await Deno.readTextFile(checkpointFile).then((text) => JSON.parse(text).delivered as number)
        .catch(() => 0);
    // A batch acknowledged and its checkpoint written (replaced atomically), then the outage.
    await waitFor("a checkpointed batch", async () => await checkpointed() > 0);
    await server.stop();
    const log = join(observerDir(root), "log.jsonl");
    await waitFor("the whole log", async () => await lineCount(log) === 50_000);
    child.kill("SIGKILL");
    await child.status;
    await child.stdout.cancel();
    await child.stderr.cancel();
    await server.start();
    const checkpoint = JSON.parse(await Deno.readTextFile(checkpointFile));
    assert.ok(checkpoint.delivered > 0, "some batches were acknowledged before the outage");
    const follow = await runScript(root, {
      task: "observer",
      script: "observer.ts",
      args: ["follow", "--config", config],
      extraNet,
    });
    assert.equal(follow.code, 0, follow.stderr);
    const db = parseFieldsLine(follow.stdout, "sink db");
    assert.equal(Number(db.written) + checkpoint.delivered >= 50_000, true, follow.stdout);
    assert.deepEqual([db.state, db.behind], ["finished", "0"]);
    assert.deepEqual(await rows(server), { count: 50_000, distinct: 50_000 });
  });
});

Deno.test("follow: past --follow-timeout with PostgreSQL down, the run exits 1 naming the lag and the follow command; that command delivers the rest", async (t) => {
  await withServer(t, async (server) => {
    const { root, config, input, extraNet } = await project(server, 3_000);
    await server.stop();
    const run = await runScript(root, {
      task: "observer",
      script: "observer.ts",
      args: ["--config", config, "--input", input, "--follow-timeout", "1"],
      extraNet,
    });
    assert.equal(run.code, 1, run.stderr);
    const db = parseFieldsLine(run.stdout, "sink db");
    assert.deepEqual([db.written, db.behind], ["0", "3000"]);
    assert.match(run.stderr, /follower db stopped 3000 records \(\d+ bytes\) behind the log/);
    const command = /to deliver the rest: deno task observer (follow --config \S+)/.exec(
      run.stderr,
    );
    assert.ok(command, run.stderr);
    await server.start();
    const follow = await runScript(root, {
      task: "observer",
      script: "observer.ts",
      args: command[1].split(" "),
      extraNet,
    });
    assert.equal(follow.code, 0, follow.stderr);
    assert.deepEqual(await rows(server), { count: 3_000, distinct: 3_000 });
  });
});

Deno.test("follow: the service shows each follower's state and lag in /v1/status and /metrics: failing and behind while PostgreSQL is down, caught up once it is back", async (t) => {
  await withServer(t, async (server) => {
    const { root, config, extraNet } = await project(server, 0);
    await server.stop();
    const service = await startService(root, ["--config", config], {}, extraNet);
    try {
      let body = "";
      for (let i = 0; i < 500; i++) body += snapshotLine(i) + "\n";
      const posted = await fetch(`${service.base}/v1/snapshots?ack=durable`, {
        method: "POST",
        body,
      });
      assert.equal(posted.status, 200, await posted.text());
      const follower = async () =>
        (await (await fetch(`${service.base}/v1/status`)).json()).followers[0];
      await waitFor("the follower to fail", async () => (await follower()).state === "failing");
      const down = await follower();
      assert.equal(down.name, "db");
      assert.equal(down.behind_records, 500);
      assert.ok(down.behind_bytes > 0);
      assert.match(down.last_error, /ECONNREFUSED|connect|refused/i);
      const metrics = await (await fetch(`${service.base}/metrics`)).text();
      assert.match(metrics, /qts_follower_failing\{follower="db"\} 1/);
      assert.match(
        metrics,
        new RegExp(`qts_follower_behind_bytes\\{follower="db"\\} ${down.behind_bytes}`),
      );
      await server.start();
      await waitFor("the follower to catch up", async () => {
        const f = await follower();
        return f.behind_bytes === 0 && f.state === "following";
      });
      const up = await follower();
      assert.deepEqual([up.state, up.delivered, up.behind_records], ["following", 500, 0]);
      assert.deepEqual(await rows(server), { count: 500, distinct: 500 });
    } finally {
      const stopped = await service.stop();
      assert.equal(stopped.code, 0, stopped.stderr);
    }
  });
});

Deno.test("follow: a service stopped (SIGTERM) while PostgreSQL is down does not wait the whole --follow-timeout for its follower: it exits 1 soon, naming the lag and the follow command", async (t) => {
  await withServer(t, async (server) => {
    const { root, config, extraNet } = await project(server, 0);
    await server.stop();
    const service = await startService(root, ["--config", config], {}, extraNet);
    let body = "";
    for (let i = 0; i < 200; i++) body += snapshotLine(i) + "\n";
    const posted = await fetch(`${service.base}/v1/snapshots?ack=durable`, {
      method: "POST",
      body,
    });
    assert.equal(posted.status, 200, await posted.text());
    const started = performance.now();
    const stopped = await service.stop();
    const seconds = (performance.now() - started) / 1000;
    assert.equal(stopped.code, 1, stopped.stderr);
    assert.match(stopped.stderr, /follower db stopped 200 records .*behind the log/);
    assert.match(stopped.stderr, /to deliver the rest: deno task observer follow --config /);
    // The default --follow-timeout is 60 s; a stop waits 5 s at most (generous bound here).
    assert.ok(seconds < 45, `stopped after ${seconds.toFixed(1)} s`);
  });
});
