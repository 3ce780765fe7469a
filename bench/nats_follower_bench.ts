/**
 * Row j2 of the NATS bench alone (`observer.ts follow` with a nats sink catching up a log,
 * against the bare inbox publisher of the same snapshots), alternating pairs, each round
 * printed with both contestants' CPU per 10,000 records:
 *
 *   deno run --allow-all bench/nats_follower_bench.ts [--n 50000] [--rounds 3]
 *
 * @module
 */

import { manager, startNatsServer, testConnection } from "../tests/helpers/nats.ts";
import { copyProject } from "../tests/helpers/project.ts";
import { fmt, median } from "./bench_format.ts";
import { barePublish, followerSetup, followPublish, freshStream, type Run } from "./nats_bench.ts";

/**
 * `rounds` alternating pairs of `n` records, each printed, and the median ratio.
 */
async function followerRounds(n: number, rounds: number): Promise<void> {
  const server = await startNatsServer();
  const root = await copyProject();
  const nc = await testConnection([server.url]);
  try {
    const jsm = await manager(nc);
    const followConfig = await followerSetup(root, server.url, n);
    await freshStream(jsm); // an untimed run: no round pays for compiling the copy's modules
    await followPublish(root, followConfig, server.port, n);
    const ratios: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const pair: Partial<Record<"follower" | "bare", Run>> = {};
      for (
        const who of round % 2 === 0 ? ["bare", "follower"] as const : ["follower", "bare"] as const
      ) {
        await freshStream(jsm);
        pair[who] = who === "bare"
          ? await barePublish(server.port, server.url, n, "inbox", "synthetic")
          : await followPublish(root, followConfig, server.port, n);
      }
      const { follower, bare } = pair as Record<"follower" | "bare", Run>;
      ratios.push(follower.rate / bare.rate);
      console.log(
        `round ${round + 1}: follower ${fmt(follower.rate)} rec/s (CPU ${
          fmt(follower.cpuPer10k, 3)
        } s/10k), bare ${fmt(bare.rate)} snap/s (CPU ${fmt(bare.cpuPer10k, 3)} s/10k): ratio ${
          fmt(follower.rate / bare.rate, 2)
        }`,
      );
    }
    console.log(`j2 median ratio ${fmt(median(ratios), 2)} (target ≥ 0.70)`);
  } finally {
    await nc.close();
    await server.destroy();
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  const flag = (name: string, fallback: number) => {
    const i = Deno.args.indexOf(`--${name}`);
    return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
  };
  await followerRounds(flag("n", 50_000), flag("rounds", 3));
}
