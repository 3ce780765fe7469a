/**
 * Peak RSS of a recording whose PostgreSQL follower meets an outage: `observer.ts replay` of N
 * snapshots (a jsonl log and a postgres sink) while a private PostgreSQL is down for the first
 * `outage` seconds, then up until the run ends; prints the exit code, the rows, the peak RSS
 * (VmHWM) and the time. A follower holds one batch whatever the outage's length, so the peak
 * should not grow with it.
 *
 *   deno run --allow-all bench/follow_outage_rss.ts <N> <outage seconds>...
 *   deno run --allow-all bench/follow_outage_rss.ts 50000 10 60
 *
 * @module
 */
import { join } from "node:path";
import { startPrivateServer, testClient } from "../tests/helpers/postgres.ts";
import { copyProject, spawnScript } from "../tests/helpers/project.ts";
import { writeSnapshotFile } from "../tests/helpers/snapshot_file.ts";
const n = Number(Deno.args[0] ?? 50000);
for (const outage of Deno.args.slice(1).map(Number)) {
  // One private server per outage, so both start from an empty table.
  const server = await startPrivateServer();
  if (typeof server === "string") throw new Error(server);
  const root = await copyProject();
  const config = join(root, "c.json");
  await Deno.writeTextFile(
    config,
    JSON.stringify({
      sinks: [
        { type: "jsonl", name: "log", file: "log.jsonl" },
        { type: "postgres", name: "db", url: server.url, table: "t" },
      ],
    }),
  );
  const input = join(root, "in.jsonl");
  await writeSnapshotFile(input, n);
  await server.stop();
  const t0 = performance.now();
  const child = await spawnScript(root, {
    task: "observer",
    script: "observer.ts",
    args: ["replay", "--config", config, "--follow-timeout", "600", input],
    extraNet: [`127.0.0.1:${server.port}`],
  });
  let peak = 0;
  let restarted = false;
  const done = child.output();
  let finished = false;
  done.then(() => finished = true);
  while (!finished) {
    try {
      const status = await Deno.readTextFile(`/proc/${child.pid}/status`);
      const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
      peak = Math.max(peak, hwm);
    } catch { /* gone */ }
    if (!restarted && performance.now() - t0 > outage * 1000) {
      await server.start();
      restarted = true;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const out = await done;
  const sql = testClient(server.url);
  const [{ count }] = await sql`SELECT count(*)::int AS count FROM t`;
  await sql.end();
  console.log(
    `outage ${outage}s: exit ${out.code}, rows ${count}/${n}, peak RSS ${
      (peak / 1024).toFixed(1)
    } MB, ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  await server.destroy();
}
Deno.exit(0);
