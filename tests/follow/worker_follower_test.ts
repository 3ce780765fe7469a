import assert from "node:assert/strict";
import { join } from "node:path";
import { checkpointPath, readCheckpoint } from "../../src/follow/checkpoint.ts";
import { WorkerFollower } from "../../src/follow/worker_follower.ts";
import { recordLines, runIds } from "../helpers/record_lines.ts";
import { tempDir } from "../helpers/temp.ts";
import { waitFor } from "../helpers/wait.ts";
import { processThreads } from "../helpers/threads.ts";

const entry = new URL("../helpers/file_destination_worker.ts", import.meta.url);

const lines = recordLines;
const ids = runIds;

async function delivered(out: string): Promise<string[]> {
  const text = await Deno.readTextFile(out).catch(() => "");
  return text.split("\n").filter((id) => id !== "");
}

Deno.test("worker follower: reports its state and lag by message while its destination is down, stops cleanly (its worker ended), and a second one finishes the log from the checkpoint", async () => {
  const dir = await tempDir("worker-follow");
  await Deno.writeTextFile(join(dir, "observer.jsonl"), lines(0, 500));
  const out = join(dir, "out.txt");
  const down = join(dir, "down");
  await Deno.writeTextFile(down, "");
  const log = { dir, base: "observer" };
  const config = { name: "db", out, failWhile: down, chunkBytes: 16 * 1024 };
  const first = await WorkerFollower.open(entry, config, log);
  const done = first.run();
  await waitFor("failing reported", () => first.stats().state === "failing");
  assert.equal(first.stats().lastError, "destination down (test)");
  const lag = await first.lag();
  assert.equal(lag.records, 500);
  assert.equal(lag.bytes, (await Deno.stat(join(dir, "observer.jsonl"))).size);
  await first.close();
  await done;
  assert.equal(first.stats().state, "stopped");
  assert.equal((await first.lag()).records, 500, "measured here once the worker is gone");
  await Deno.remove(down);
  const second = await WorkerFollower.open(entry, config, log);
  void second.run();
  second.finish();
  await second.run();
  const stats = second.stats();
  await second.close();
  assert.deepEqual([stats.state, stats.delivered], ["finished", 500]);
  assert.deepEqual(await delivered(out), ids(0, 500));
  assert.deepEqual((await second.lag()).bytes, 0);
});

Deno.test("worker follower: a refused open (the follower busy) is thrown with its name and message", async () => {
  const dir = await tempDir("worker-follow");
  const log = { dir, base: "observer" };
  const config = { name: "db", out: join(dir, "out.txt") };
  const first = await WorkerFollower.open(entry, config, log);
  await assert.rejects(
    WorkerFollower.open(entry, config, log),
    (error: Error) =>
      error.name === "FollowerBusyError" && /running in another process/.test(error.message),
  );
  await first.close();
});

Deno.test("worker follower: the process killed (SIGKILL) mid-log, a new one resumes at the checkpoint and delivers every record, the ones after the checkpoint once", async () => {
  const dir = await tempDir("worker-follow");
  await Deno.writeTextFile(join(dir, "observer.jsonl"), lines(0, 2000));
  const out = join(dir, "out.txt");
  const script = new URL("../helpers/worker_follow_script.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", script, dir, "observer", out, "20"],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const path = checkpointPath(dir, "observer", "db");
  await waitFor("a checkpoint written", async () => {
    const checkpoint = await readCheckpoint(path, "observer").catch(() => undefined);
    return (checkpoint?.delivered ?? 0) > 0;
  });
  child.kill("SIGKILL");
  await child.output();
  const checkpoint = await readCheckpoint(path, "observer");
  const before = await delivered(out);
  assert.ok(before.length < 2000, "killed mid-log");
  assert.ok(
    checkpoint!.delivered <= before.length,
    "the checkpoint never passes what was delivered",
  );
  const follower = await WorkerFollower.open(entry, { name: "db", out }, { dir, base: "observer" });
  void follower.run();
  follower.finish();
  await follower.run();
  await follower.close();
  const after = (await delivered(out)).slice(before.length);
  assert.deepEqual(after, ids(checkpoint!.delivered, 2000), "resumed exactly at the checkpoint");
  assert.deepEqual([...new Set([...before, ...after])].sort(), ids(0, 2000).sort());
});

Deno.test("worker follower: on Linux its worker runs at nice 10 (the recording's thread first), the process's main thread stays at its own", async () => {
  if (Deno.build.os !== "linux") {
    console.log(`skipped: thread priorities are set on Linux only (here: ${Deno.build.os})`);
    return;
  }
  const dir = await tempDir("worker-follow");
  const log = { dir, base: "observer" };
  const mainNice = processThreads(Deno.pid).find((t) => t.tid === Deno.pid)!.nice;
  const follower = await WorkerFollower.open(entry, { name: "db", out: join(dir, "o") }, log);
  try {
    const workers = processThreads(Deno.pid).filter((t) => t.name.startsWith("worker"));
    assert.ok(workers.some((t) => t.nice === 10), JSON.stringify(workers));
    assert.equal(processThreads(Deno.pid).find((t) => t.tid === Deno.pid)!.nice, mainNice);
  } finally {
    await follower.close();
  }
});
