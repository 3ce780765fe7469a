/**
 * Row g2 of `deno task bench`: a live recording with a PostgreSQL follower against the same
 * recording with no network sink, both whole `observer.ts --input` processes (the `observer`
 * task's flags, `--workers 1`, start to exit), alternating which goes first, each round printed.
 * The recording is row g's: a JSONL archive of everything and a JSONL file filtered by
 * `inputs.volume >= 140`, plus (in the first contestant) a PostgreSQL sink sampling one in ten.
 * The contestant with the follower waits at its end until the follower delivered everything.
 *
 * Why this baseline: the code before followers (commit 231efdd, the postgres sink fed from the
 * bus) needs a second checkout; the recording without the network sink is measured in the same
 * run and is a stricter yardstick (the old sink cost it something too).
 *
 * Standalone: deno run --allow-all bench/follow_recording_bench.ts [--n 100000] [--rounds 3]
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
export async function followRecordingRows(n: number, rounds: number): Promise<BenchRow[]> {
  const unavailable = await sharedPostgresUnavailable();
  if (unavailable !== undefined) return [["g2. (skipped)", unavailable, ""]];
  const root = await copyProject();
  const sql = testClient();
  const tables: string[] = [];
  try {
    const input = join(root, "g2_input.jsonl");
    await writeSnapshotFile(input, n);
    const bare = join(root, "g2_bare.jsonc");
    await Deno.writeTextFile(bare, configText(undefined));
    const followed = async () => {
      const table = uniqueTable("qts_bench_g2");
      tables.push(table);
      const config = join(root, `${table}.jsonc`);
      await Deno.writeTextFile(config, configText(table));
      return await recordOnce(root, config, input, n);
    };
    await recordOnce(root, bare, input, n); // warms the module cache
    const pairs: { follower: number; none: number }[] = [];
    for (let round = 0; round < rounds; round++) {
      if (round % 2 === 0) {
        const follower = await followed();
        pairs.push({ follower, none: await recordOnce(root, bare, input, n) });
      } else {
        const none = await recordOnce(root, bare, input, n);
        pairs.push({ none, follower: await followed() });
      }
    }
    const ratios = pairs.map((p) => p.none / p.follower);
    return [[
      `g2. observer.ts --input ${fmt(n)}: JSONL all + filtered + PostgreSQL follower 1 in 10`,
      `${fmt(n / median(pairs.map((p) => p.follower)))} rec/s (${
        pairs.map((p) => `${fmt(p.follower, 2)} s`).join(", ")
      })`,
      `vs no network sink ${fmt(n / median(pairs.map((p) => p.none)))} rec/s (${
        pairs.map((p) => `${fmt(p.none, 2)} s`).join(", ")
      }): ratio ${fmt(median(ratios), 2)}, rounds ${
        ratios.map((r) => fmt(r, 2)).join(", ")
      } (target ≥ 0.90)`,
    ]];
  } finally {
    for (const table of tables) await sql`DROP TABLE IF EXISTS ${sql(table)}`.catch(() => {});
    await sql.end();
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  const flag = (name: string, fallback: number) => {
    const i = Deno.args.indexOf(`--${name}`);
    return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
  };
  for (const row of await followRecordingRows(flag("n", 100_000), flag("rounds", 3))) {
    console.log(row.join(" | "));
  }
}
