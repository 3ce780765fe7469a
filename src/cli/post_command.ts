/**
 * `main.ts --post`: a simulated session sent to a running Observer service.
 *
 * @module
 */

import { SnapshotPoster } from "../client/snapshot_poster.ts";
import { runSimulatedSession, type SimulatedSessionOptions } from "../runtime/qts_runtime.ts";
import { EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE } from "./exit_codes.ts";
import { writeAllSync } from "./stdio.ts";

/** What `--post` needs besides the URL. */
export interface PostCommandOptions {
  /** Environment variable holding the service's token. */
  readonly tokenEnv?: string;
  /** Snapshots per request. */
  readonly batch: number;
  /** The session to simulate. */
  readonly session: SimulatedSessionOptions;
  /** Reads an environment variable (the entry script's `Deno.env.get`): the token. */
  readonly env: (name: string) => string | undefined;
}

/**
 * `main.ts --post <url>`: the simulated session goes to a running Observer service instead of a
 * local pipeline; prints the totals of its answers and returns the exit code (0 all accepted, 1
 * some blocked or rejected or a batch refused, 2 bad flags or no permission to reach the host).
 */
export async function runPostCommand(url: string, options: PostCommandOptions): Promise<number> {
  let poster: SnapshotPoster;
  try {
    const target = new URL(url);
    const host = `${target.hostname}:${target.port || (target.protocol === "https:" ? 443 : 80)}`;
    if ((await Deno.permissions.query({ name: "net", host })).state !== "granted") {
      throw new Error(
        `--post ${url}: no permission to reach ${host}; the run task grants 127.0.0.1:8089 and ` +
          `localhost:8089: run deno with --allow-net=${host}`,
      );
    }
    const token = options.tokenEnv === undefined ? undefined : options.env(options.tokenEnv);
    if (options.tokenEnv !== undefined && token === undefined) {
      throw new Error(`--post-token-env ${options.tokenEnv}: expected it set, got nothing`);
    }
    poster = new SnapshotPoster({ url, token, batch: options.batch });
  } catch (error) {
    writeAllSync(Deno.stderr, `error: ${error instanceof Error ? error.message : error}\n`);
    return EXIT_USAGE;
  }
  try {
    await runSimulatedSession(poster, options.session);
    const t = await poster.close();
    writeAllSync(
      Deno.stdout,
      `summary: posted=${t.accepted + t.blocked + t.rejected} accepted=${t.accepted} ` +
        `blocked=${t.blocked} rejected=${t.rejected} batches=${t.batches} retries=${t.retries} ` +
        `url=${url}\n`,
    );
    return t.blocked + t.rejected === 0 ? EXIT_OK : EXIT_INCOMPLETE;
  } catch (error) {
    writeAllSync(Deno.stderr, `error: ${error instanceof Error ? error.message : error}\n`);
    return EXIT_INCOMPLETE;
  }
}
