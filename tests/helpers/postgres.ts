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
  await runOutput(command, args);
}

/** Runs a command (as the `postgres` user when the tests run as root) and returns its stdout. */
async function runOutput(command: string, args: string[]): Promise<string> {
  const asPostgres = isRoot();
  const output = await new Deno.Command(asPostgres ? "runuser" : command, {
    args: asPostgres ? ["-u", "postgres", "--", command, ...args] : args,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    throw new Error(`${command} ${args.join(" ")}: ${new TextDecoder().decode(output.stderr)}`);
  }
  return new TextDecoder().decode(output.stdout);
}

/** A private PostgreSQL server a test may stop and start. */
export interface PrivateServer {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`. */
  readonly url: string;
  /** Its port. */
  readonly port: number;
  /** The directory of its Unix socket (and its data, log and TLS files). */
  readonly dir: string;
  /** Stops it at once (`pg_ctl stop -m immediate`: like a crash). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Runs SQL as the superuser over its Unix socket (trusted whatever `hba` says). */
  psql(sql: string): Promise<string>;
  /** The server's log so far. */
  log(): Promise<string>;
  /** Stops it and removes its data. */
  destroy(): Promise<void>;
}

/** How {@linkcode startPrivateServer} sets the server up. */
export interface PrivateServerOptions {
  /**
   * Turns `ssl` on with these files (copied into the server's directory, owned by its user);
   * `caFile` is the CA client certificates are checked against.
   */
  readonly tls?: { readonly certFile: string; readonly keyFile: string; readonly caFile?: string };
  /**
   * `pg_hba.conf` lines for TCP connections (`hostssl all qts 127.0.0.1/32 scram-sha-256`);
   * local (Unix socket) connections are always trusted. Default: trust every host.
   */
  readonly hba?: readonly string[];
  /** SQL run as the superuser over the Unix socket once the server is up (roles, passwords). */
  readonly setupSql?: string;
  /** Further server settings (`-c name=value`), e.g. `{ log_connections: "on" }`. */
  readonly settings?: Readonly<Record<string, string>>;
}

/**
 * Starts a private server (initdb into a temporary directory, then pg_ctl) on a free port, or
 * returns why it cannot (no server binaries, or no `postgres` user to run them as root).
 * `password_encryption` is `scram-sha-256`.
 */
export async function startPrivateServer(
  options: PrivateServerOptions = {},
): Promise<PrivateServer | string> {
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
  let settings = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off ` +
    "-c password_encryption=scram-sha-256";
  if (options.tls !== undefined) {
    const files: [string, string | undefined][] = [
      ["server.crt", options.tls.certFile],
      ["server.key", options.tls.keyFile],
      ["root.crt", options.tls.caFile],
    ];
    for (const [name, from] of files) {
      if (from === undefined) continue;
      await Deno.copyFile(from, join(dir, name));
      await Deno.chmod(join(dir, name), 0o600);
      if (isRoot()) {
        await new Deno.Command("chown", { args: ["postgres", join(dir, name)] }).output();
      }
    }
    settings += ` -c ssl=on -c ssl_cert_file=${join(dir, "server.crt")} -c ssl_key_file=${
      join(dir, "server.key")
    }`;
    if (options.tls.caFile !== undefined) settings += ` -c ssl_ca_file=${join(dir, "root.crt")}`;
  }
  for (const [name, value] of Object.entries(options.settings ?? {})) {
    settings += ` -c ${name}=${value}`;
  }
  if (options.hba !== undefined) {
    const hba = ["local all all trust", ...options.hba].join("\n") + "\n";
    const file = join(data, "pg_hba.conf");
    await Deno.writeTextFile(file, hba);
  }
  const start = () =>
    run(pgCtl, ["-D", data, "-o", settings, "-l", join(dir, "log"), "-w", "start"]);
  const stop = () => run(pgCtl, ["-D", data, "-m", "immediate", "-w", "stop"]);
  const psql = (sql: string) =>
    runOutput("psql", [
      "-X",
      "-q",
      "-A",
      "-t",
      "-h",
      dir,
      "-p",
      String(port),
      "-U",
      "postgres",
      "-d",
      "postgres",
      "-v",
      "ON_ERROR_STOP=1",
      "-c",
      sql,
    ]);
  try {
    await start();
    if (options.setupSql !== undefined) await psql(options.setupSql);
  } catch (error) {
    await stop().catch(() => {});
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    return `the private server did not start: ${(error as Error).message}`;
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir,
    stop,
    start,
    psql,
    log: () => Deno.readTextFile(join(dir, "log")).catch(() => ""),
    async destroy() {
      await stop().catch(() => {});
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** The role that logs in with a SCRAM password on {@linkcode startTlsScramServer}. */
export const SCRAM_USER = "qts_scram";
/** Its password (distinctive, so a test can look for it in every output). */
export const SCRAM_PASSWORD = "Sc7am-pw-5e4b0c2a91";
/** The role that logs in by client certificate (its CN) on {@linkcode startTlsScramServer}. */
export const CERT_USER = "qts_cert";

/**
 * A private server with `ssl = on`, `password_encryption = scram-sha-256` and connections
 * logged; over TCP {@linkcode SCRAM_USER} must come by TLS with its password (SCRAM),
 * {@linkcode CERT_USER} by TLS with a client certificate signed by `certs`' CA, `postgres`
 * (for the tests' own queries) is trusted, and everything else is rejected. Both roles may
 * create tables in `public`.
 */
export function startTlsScramServer(certs: {
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  readonly caFile: string;
}): Promise<PrivateServer | string> {
  return startPrivateServer({
    tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, caFile: certs.caFile },
    hba: [
      `hostssl all ${SCRAM_USER} 127.0.0.1/32 scram-sha-256`,
      `hostssl all ${CERT_USER} 127.0.0.1/32 cert`,
      "host all postgres 127.0.0.1/32 trust",
      "host all all 127.0.0.1/32 reject",
    ],
    settings: { log_connections: "on" },
    setupSql: `CREATE ROLE ${SCRAM_USER} LOGIN PASSWORD '${SCRAM_PASSWORD}'; ` +
      `CREATE ROLE ${CERT_USER} LOGIN; ` +
      `GRANT CREATE, USAGE ON SCHEMA public TO ${SCRAM_USER}, ${CERT_USER};`,
  });
}
