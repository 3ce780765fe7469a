/**
 * PostgreSQL for tests: the shared server on 127.0.0.1:5432 (what `.ci/run` starts), and a
 * private server on a free port for tests that stop and restart it.
 *
 * @module
 */

import postgres from "postgres";
import { join } from "node:path";
import { freePort } from "./net.ts";
import { isRoot, tempDir } from "./temp.ts";

/** The shared test database (trust authentication, as on our machines and in CI). */
export const SHARED_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/test";

/** A client for test queries (one connection, no notices). */
export function testClient(url = SHARED_POSTGRES_URL): postgres.Sql {
  return postgres(url, { max: 1, onnotice: () => {}, user: "postgres", connect_timeout: 5 });
}

/**
 * Undefined when the shared server answers, else why not (the tests print it and skip: a
 * machine without PostgreSQL cannot run them, and says so).
 */
export async function sharedPostgresUnavailable(): Promise<string | undefined> {
  const sql = testClient();
  try {
    await sql`SELECT 1`;
    return undefined;
  } catch (error) {
    return `PostgreSQL at 127.0.0.1:5432 (database test, user postgres) cannot be reached: ${
      (error as Error).message
    } (.ci/run starts it)`;
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

/** A table name unique to one test run. */
export function uniqueTable(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6).toString(36)}`;
}

function binDir(): string | undefined {
  try {
    const versions = [...Deno.readDirSync("/usr/lib/postgresql")].map((e) => e.name).sort();
    const dir = `/usr/lib/postgresql/${versions[versions.length - 1]}/bin`;
    Deno.statSync(join(dir, "initdb"));
    return dir;
  } catch {
    return undefined;
  }
}

async function run(command: string, args: string[]): Promise<void> {
  const asPostgres = isRoot();
  const output = await new Deno.Command(asPostgres ? "runuser" : command, {
    args: asPostgres ? ["-u", "postgres", "--", command, ...args] : args,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    throw new Error(`${command} ${args.join(" ")}: ${new TextDecoder().decode(output.stderr)}`);
  }
}

/** A private PostgreSQL server a test may stop and start. */
export interface PrivateServer {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`. */
  readonly url: string;
  /** Its port. */
  readonly port: number;
  /** Stops it at once (`pg_ctl stop -m immediate`: like a crash). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops it and removes its data. */
  destroy(): Promise<void>;
}

/**
 * Starts a private server (initdb into a temporary directory, then pg_ctl) on a free port, or
 * returns why it cannot (no server binaries, or no `postgres` user to run them as root).
 */
export async function startPrivateServer(): Promise<PrivateServer | string> {
  const bin = binDir();
  if (bin === undefined) return "no PostgreSQL server binaries under /usr/lib/postgresql";
  const dir = await tempDir("pg");
  const data = join(dir, "data");
  if (isRoot()) {
    const chown = await new Deno.Command("chown", { args: ["postgres", dir] }).output();
    if (!chown.success) return "cannot hand a data directory to the postgres user";
  }
  const port = freePort();
  const pgCtl = join(bin, "pg_ctl");
  try {
    await run(join(bin, "initdb"), ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync"]);
  } catch (error) {
    return `initdb failed: ${(error as Error).message}`;
  }
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const start = () =>
    run(pgCtl, ["-D", data, "-o", options, "-l", join(dir, "log"), "-w", "start"]);
  const stop = () => run(pgCtl, ["-D", data, "-m", "immediate", "-w", "stop"]);
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    stop,
    start,
    async destroy() {
      await stop().catch(() => {});
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
