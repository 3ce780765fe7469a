/**
 * A process running one follower in its worker until killed (for the kill-and-resume test):
 * `deno run -A worker_follow_script.ts <log dir> <log base> <out file> <delay ms>`.
 */
import { WorkerFollower } from "../../src/follow/worker_follower.ts";

const [dir, base, out, delayMs] = Deno.args;
const follower = await WorkerFollower.open(
  new URL("./file_destination_worker.ts", import.meta.url),
  { name: "db", out, delayMs: Number(delayMs), chunkBytes: 16 * 1024 },
  { dir, base },
);
await follower.run();
