/**
 * NATS for tests: private `nats-server` processes (Debian's package, installed when missing and
 * the tests run as root) on free loopback ports with temporary JetStream storage, so a test may
 * kill, pause and restart them; single servers and three-node clusters.
 *
 * @module
 */

import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { type JetStreamManager, jetstreamManager } from "@nats-io/jetstream";
import type { NatsStreamSettings } from "../../src/nats/settings.ts";
import { applyStream } from "../../src/nats/stream_setup.ts";
import { freePort } from "./net.ts";
import { isRoot, tempDir } from "./temp.ts";

const CANDIDATES = ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"];

function found(): string | undefined {
  for (const path of CANDIDATES) {
    try {
      Deno.statSync(path);
      return path;
    } catch {
      // next
    }
  }
  return undefined;
}

/**
 * Why the NATS tests cannot run here, or undefined when they can (the server is installed, or
 * the tests run as root and can install it). Prints the reason, for the tests' `ignore`.
 */
export function natsServerUnavailable(): string | undefined {
  if (found() !== undefined || isRoot()) return undefined;
  const reason = "skipped: needs nats-server (not installed, and installing it needs root)";
  console.log(reason);
  return reason;
}

let installing: Promise<string> | undefined;

/** The nats-server binary, installing Debian's `nats-server` first when it is missing. */
export function ensureNatsServer(): Promise<string> {
  const path = found();
  if (path !== undefined) return Promise.resolve(path);
  installing ??= (async () => {
    console.log("nats-server is missing: installing Debian's nats-server package (apt-get)");
    const env = { DEBIAN_FRONTEND: "noninteractive" };
    const update = await new Deno.Command("apt-get", { args: ["update", "-qq"], env }).output();
    const install = update.success
      ? await new Deno.Command("apt-get", { args: ["install", "-y", "-qq", "nats-server"], env })
        .output()
      : update;
    const path = found();
    if (!install.success || path === undefined) {
      throw new Error(
        "expected to install Debian's nats-server (as root, with apt-get), but it failed: " +
          new TextDecoder().decode(install.stderr).slice(-2000),
      );
    }
    return path;
  })();
  return installing;
}

/** One private server. */
export interface NatsServer {
  /** `nats://127.0.0.1:<port>`. */
  readonly url: string;
  /** Client port. */
  readonly port: number;
  /** Its JetStream storage directory. */
  readonly storeDir: string;
  /** True while the process runs. */
  readonly running: boolean;
  /** Kills it at once (SIGKILL: like a crash), keeping its storage. */
  kill(): Promise<void>;
  /** Starts it again on the same ports and storage; resolves once it takes connections. */
  start(): Promise<void>;
  /** Stops (SIGSTOP) or resumes (SIGCONT) the process: a server that hangs. */
  pause(): void;
  /** Resumes a paused server. */
  resume(): void;
  /** Kills it and removes its storage. */
  destroy(): Promise<void>;
}

async function waitForPort(port: number, child: Deno.ChildProcess): Promise<void> {
  let exited = false;
  child.status.then(() => exited = true);
  for (let i = 0; i < 400; i++) {
    if (exited) throw new Error(`nats-server on port ${port} exited while starting`);
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  throw new Error(`nats-server did not take connections on port ${port} within 10 s`);
}

interface ServerSpec {
  readonly name: string;
  readonly port: number;
  readonly clusterPort?: number;
  readonly routes?: readonly number[];
  /** Text of a configuration file (TLS, authorization, operator mode); flags set the rest. */
  readonly config?: string;
}

async function serverProcess(spec: ServerSpec, dir: string): Promise<NatsServer> {
  const binary = await ensureNatsServer();
  const storeDir = join(dir, spec.name);
  await Deno.mkdir(storeDir, { recursive: true });
  const args = [
    "-a",
    "127.0.0.1",
    "-p",
    String(spec.port),
    "-js",
    "-sd",
    storeDir,
    "-n",
    spec.name,
  ];
  if (spec.config !== undefined) {
    const file = join(dir, `${spec.name}.conf`);
    await Deno.writeTextFile(file, spec.config);
    args.push("-c", file);
  }
  if (spec.clusterPort !== undefined) {
    args.push(
      "--cluster_name",
      "qts-test",
      "--cluster",
      `nats://127.0.0.1:${spec.clusterPort}`,
      "--routes",
      (spec.routes ?? []).map((p) => `nats://127.0.0.1:${p}`).join(","),
    );
  }
  let child: Deno.ChildProcess | undefined;
  const log = join(dir, `${spec.name}.log`);
  const server: NatsServer = {
    url: `nats://127.0.0.1:${spec.port}`,
    port: spec.port,
    storeDir,
    get running() {
      return child !== undefined;
    },
    async start() {
      if (child !== undefined) return;
      const out = await Deno.open(log, { append: true, create: true });
      child = new Deno.Command(binary, { args, stdout: "null", stderr: "piped" }).spawn();
      child.stderr.pipeTo(out.writable).catch(() => {});
      await waitForPort(spec.port, child);
    },
    async kill() {
      if (child === undefined) return;
      const dying = child;
      child = undefined;
      try {
        dying.kill("SIGKILL");
      } catch {
        // already gone
      }
      await dying.status;
    },
    pause() {
      child?.kill("SIGSTOP");
    },
    resume() {
      child?.kill("SIGCONT");
    },
    async destroy() {
      server.resume();
      await server.kill();
      await Deno.remove(storeDir, { recursive: true }).catch(() => {});
    },
  };
  return server;
}

/** How to start a private server. */
export interface NatsServerOptions {
  /**
   * Text of a `nats-server` configuration file (a `tls` block, `authorization`, operator mode);
   * the address, port, JetStream and its storage are given as flags, which take precedence.
   */
  readonly config?: string;
}

/** Starts one private JetStream server on a free port with temporary file storage. */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const dir = await tempDir("nats");
  const server = await serverProcess({ name: "n1", port: freePort(), config: options.config }, dir);
  await server.start();
  return server;
}

/** A private cluster. */
export interface NatsCluster {
  /** The nodes, in order. */
  readonly nodes: readonly NatsServer[];
  /** Every node's URL. */
  readonly urls: readonly string[];
  /** Kills every node and removes the storage. */
  destroy(): Promise<void>;
}

/** Starts `size` JetStream servers routed into one cluster on loopback. */
export async function startNatsCluster(size = 3): Promise<NatsCluster> {
  const dir = await tempDir("nats-cluster");
  const ports = Array.from({ length: size }, () => freePort());
  const clusterPorts = Array.from({ length: size }, () => freePort());
  const nodes: NatsServer[] = [];
  for (let i = 0; i < size; i++) {
    nodes.push(
      await serverProcess({
        name: `n${i + 1}`,
        port: ports[i],
        clusterPort: clusterPorts[i],
        routes: clusterPorts.filter((_, j) => j !== i),
      }, dir),
    );
  }
  await Promise.all(nodes.map((n) => n.start()));
  return {
    nodes,
    urls: nodes.map((n) => n.url),
    async destroy() {
      await Promise.all(nodes.map((n) => n.destroy()));
    },
  };
}

/** A test client connection (reconnecting, to the given servers only). */
export function testConnection(servers: readonly string[]): Promise<NatsConnection> {
  return connect({
    servers: [...servers],
    ignoreClusterUpdates: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 200,
  });
}

/**
 * Runs `fn` until it stops throwing (a fresh cluster elects its JetStream leader in a few
 * seconds), for up to `ms` milliseconds.
 */
export async function retrying<T>(fn: () => Promise<T>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  while (true) {
    try {
      return await fn();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** The JetStream manager of a connection, retried while JetStream is not ready yet. */
export function manager(nc: NatsConnection): Promise<JetStreamManager> {
  return retrying(() => jetstreamManager(nc));
}

/**
 * Every message id (`Nats-Msg-Id`) stored in `stream`, in stream order. Requests that time out
 * (a server just restarted, a busy machine) are asked again; a sequence with no message (deleted)
 * is skipped.
 */
export async function storedMessageIds(jsm: JetStreamManager, stream: string): Promise<string[]> {
  const info = await retrying(() => jsm.streams.info(stream));
  const ids: string[] = [];
  const first = info.state.first_seq;
  for (let seq = first; seq <= info.state.last_seq; seq++) {
    const message = await retrying(() => jsm.streams.getMessage(stream, { seq }));
    if (message !== null) ids.push(message.header?.get("Nats-Msg-Id") ?? "");
  }
  return ids;
}

/** A private server with a stream already made, and a client connected to it. */
export interface StreamFixture {
  /** The server (kill, pause, restart it). */
  readonly server: NatsServer;
  /** A client connection for checks. */
  readonly nc: NatsConnection;
  /** Its JetStream manager. */
  readonly jsm: JetStreamManager;
}

/**
 * Runs `fn` with a fresh private server holding `stream` (made by the project's own
 * `applyStream`), then closes the client and destroys the server, whatever happened.
 */
export async function withStream(
  stream: NatsStreamSettings,
  fn: (fixture: StreamFixture) => Promise<void>,
): Promise<void> {
  const server = await startNatsServer();
  const nc = await testConnection([server.url]);
  try {
    const jsm = await manager(nc);
    await applyStream(jsm, stream);
    await fn({ server, nc, jsm });
  } finally {
    await nc.close();
    await server.destroy();
  }
}

/** A configuration with a nats block for a server at `url`. */
export function natsConfigText(
  url: string | readonly string[],
  sinks: unknown[] = [
    { type: "jsonl", file: "consumed.jsonl", fsync: "always" },
  ],
  consumer: Record<string, unknown> = {},
  replicas = 1,
): string {
  return JSON.stringify({
    nats: {
      servers: typeof url === "string" ? [url] : url,
      stream: {
        name: "QTS_TEST",
        subjects: ["qts.snapshots.>"],
        storage: "file",
        retention: "limits",
        max_age_seconds: 3600,
        max_bytes: 64 * 1024 * 1024,
        duplicate_window_seconds: 60,
        replicas,
      },
      consumer: { durable: "observers", ...consumer },
    },
    sinks,
  });
}
