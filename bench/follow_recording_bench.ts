/**
 * Row g2 of `deno task bench`: a live recording with a PostgreSQL follower against the same
 * recording with no network sink, both whole `observer.ts --input` processes (the `observer`
 * task's flags, `--workers 1`, start to exit), alternating which goes first, each round printed.
 * The recording is row g's: a JSONL archive of everything and a JSONL file filtered by
 * `inputs.volume >= 140`, plus (in the first contestant) a PostgreSQL sink sampling one in ten.
 * The contestant with the follower waits at its end until the follower delivered everything.
 *
 * Two yardsticks. The recording without the network sink, always measured, is the stricter one
 * (the old sink cost a recording something too). The issue's own, the same recording before
 * followers (the postgres sink fed from the bus, commit 231efdd), needs a checkout of that
 * commit: with `--before <dir>` (e.g. after `git worktree add /tmp/before 231efdd`) a third
 * contestant runs the same configuration with that checkout's code, in the same rounds.
 *
 * Standalone: deno run --allow-all bench/follow_recording_bench.ts [--n 100000] [--rounds 3]
 *   [--before <checkout of 231efdd>]
 *
 * @module
 */

import { join } from "node:path";
import { copyProject, observerDir, spawnScript } from "../tests/helpers/project.ts";
import { writeSnapshotFile } from "../tests/helpers/snapshot_file.ts";
import {
  SHARED_POSTGRES_URL,
  sharedPostgresUnavailable,
  testClient,
  uniqueTable,
} from "../tests/helpers/postgres.ts";
import { fmt, median } from "./bench_format.ts";

/** One printed row: what, result, ratio and target. */
export type BenchRow = [string, string, string];

const jsonlSinks = `
    { "type": "jsonl", "file": "all.jsonl", "fsync": "none" },
    { "type": "jsonl", "file": "big.jsonl", "fsync": "none",
      "filter": { "where": "inputs.volume >= 140" } }`;

/** The configuration of a contestant: with the postgres follower writing `table`, or without. */
function configText(table: string | undefined): string {
  const postgres = table === undefined ? "" : `,
    { "type": "postgres", "name": "db", "url": "${SHARED_POSTGRES_URL}", "table": "${table}",
      "sample": { "every": 10 } }`;
  return `{ "sinks": [${jsonlSinks}${postgres}\n] }`;
}

/** Who records in a g2 round: with the follower, with no network sink, the code before. */
type Contestant = "follower" | "none" | "before";

/** One `observer.ts --input` run of `config` in `root`, start to exit; seconds. */
async function recordOnce(root: string, config: string, input: string, n: number) {
  await Deno.remove(observerDir(root), { recursive: true }).catch(() => {});
  await Deno.mkdir(observerDir(root), { recursive: true });
  const t0 = performance.now();
  const child = await spawnScript(root, {
    task: "observer",
    script: "observer.ts",
    args: ["--config", config, "--input", input, "--workers", "1", "--log-level", "warning"],
  });
  const output = await child.output();
  const seconds = (performance.now() - t0) / 1000;
  const stdout = new TextDecoder().decode(output.stdout);
  if (!output.success || !stdout.includes(`records=${n} `)) {
    throw new Error(`observer.ts --input: ${stdout}${new TextDecoder().decode(output.stderr)}`);
  }
  return seconds;
}

/**
 * g2 over `n` snapshots, `rounds` alternating pairs; the rows, or why they were skipped.
 *
 * @example
 * ```ts
 * import { followRecordingRows } from "./follow_recording_bench.ts";
 * const rows = await followRecordingRows(100_000, 3);
 * ```
 */
export async function followRecordingRows(
  n: number,
  rounds: number,
  before?: string,
): Promise<BenchRow[]> {
  const unavailable = await sharedPostgresUnavailable();
  if (unavailable !== undefined) return [["g2. (skipped)", unavailable, ""]];
  const root = await copyProject();
  const oldRoot = before === undefined ? undefined : await copyProject(before);
  const sql = testClient();
  const tables: string[] = [];
  try {
    const input = join(root, "g2_input.jsonl");
    await writeSnapshotFile(input, n);
    const bare = join(root, "g2_bare.jsonc");
    await Deno.writeTextFile(bare, configText(undefined));
    // The old checkout's fence lets it read only its own copy: the input goes there once.
    if (oldRoot !== undefined) await Deno.copyFile(input, join(oldRoot, "g2_input.jsonl"));
    const withPostgres = async (at: string) => {
      const table = uniqueTable("qts_bench_g2");
      tables.push(table);
      const config = join(at, `${table}.jsonc`);
      await Deno.writeTextFile(config, configText(table));
      return await recordOnce(at, config, join(at, "g2_input.jsonl"), n);
    };
    await recordOnce(root, bare, input, n); // warms the module cache
    if (oldRoot !== undefined) await withPostgres(oldRoot); // and the old checkout's
    const runs: Record<Contestant, number>[] = [];
    for (let round = 0; round < rounds; round++) {
      const order: Contestant[] = oldRoot === undefined
        ? ["follower", "none"]
        : ["follower", "none", "before"];
      if (round % 2 === 1) order.reverse();
      const times: Partial<Record<Contestant, number>> = {};
      for (const who of order) {
        times[who] = who === "none"
          ? await recordOnce(root, bare, input, n)
          : await withPostgres(who === "follower" ? root : oldRoot!);
      }
      runs.push(times as Record<Contestant, number>);
      console.log(
        `g2 round ${round + 1} (${order.join(", ")}): ` +
          order.map((who) => `${who} ${fmt(times[who]!, 2)} s`).join(", "),
      );
    }
    const ratios = runs.map((p) => p.none / p.follower);
    const beforeRow: BenchRow[] = oldRoot === undefined ? [] : [[
      `    the same recording before followers (${before}: the postgres sink on the bus)`,
      `${fmt(n / median(runs.map((p) => p.before)))} rec/s (${
        runs.map((p) => `${fmt(p.before, 2)} s`).join(", ")
      })`,
      `g2 / this: ratio ${fmt(median(runs.map((p) => p.before / p.follower)), 2)}, rounds ${
        runs.map((p) => fmt(p.before / p.follower, 2)).join(", ")
      } (target ≥ 0.90)`,
    ]];
    return [[
      `g2. observer.ts --input ${fmt(n)}: JSONL all + filtered + PostgreSQL follower 1 in 10`,
      `${fmt(n / median(runs.map((p) => p.follower)))} rec/s (${
        runs.map((p) => `${fmt(p.follower, 2)} s`).join(", ")
      })`,
      `vs no network sink ${fmt(n / median(runs.map((p) => p.none)))} rec/s (${
        runs.map((p) => `${fmt(p.none, 2)} s`).join(", ")
      }): ratio ${fmt(median(ratios), 2)}, rounds ${
        ratios.map((r) => fmt(r, 2)).join(", ")
      } (target ≥ 0.90)`,
    ], ...beforeRow];
  } finally {
    for (const table of tables) await sql`DROP TABLE IF EXISTS ${sql(table)}`.catch(() => {});
    await sql.end();
    for (const dir of [root, oldRoot]) {
      if (dir !== undefined) await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  }
}

if (import.meta.main) {
  const flag = (name: string, fallback: number) => {
    const i = Deno.args.indexOf(`--${name}`);
    return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
  };
  const beforeAt = Deno.args.indexOf("--before");
  const before = beforeAt >= 0 ? Deno.args[beforeAt + 1] : undefined;
  for (const row of await followRecordingRows(flag("n", 100_000), flag("rounds", 3), before)) {
    console.log(row.join(" | "));
  }
}
