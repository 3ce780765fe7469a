/**
 * A project copy wired to a private NATS server: the configuration file with its `nats` block,
 * the `--allow-net` the scripts need for the server, and `stream create` run as a user would.
 *
 * @module
 */

import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import type { JetStreamManager } from "@nats-io/jetstream";
import {
  manager,
  natsConfigText,
  type NatsServer,
  startNatsServer,
  testConnection,
} from "./nats.ts";
import { copyProject, runScript, type ScriptRun } from "./project.ts";

/** What a NATS end-to-end test gets. */
export interface NatsProject {
  /** The private server. */
  readonly server: NatsServer;
  /** The project copy. */
  readonly root: string;
  /** The configuration file (stream QTS_TEST, durable `observers`). */
  readonly config: string;
  /** `--allow-net` additions for the server. */
  readonly net: string[];
  /** A test client and its JetStream manager. */
  readonly nc: NatsConnection;
  /** The manager of `nc`. */
  readonly jsm: JetStreamManager;
  /** Runs `observer.ts stream create --config` (with `extraNet`, or none). */
  streamCreate(extraNet?: string[]): Promise<ScriptRun>;
}

/** Runs `fn` with a fresh server and project copy, cleaning both up after. */
export async function withNatsProject(
  fn: (project: NatsProject) => Promise<void>,
  options: { consumer?: Record<string, unknown>; sinks?: unknown[] } = {},
): Promise<void> {
  const server = await startNatsServer();
  const root = await copyProject();
  const nc = await testConnection([server.url]);
  try {
    const config = join(root, "nats.json");
    await Deno.writeTextFile(config, natsConfigText(server.url, options.sinks, options.consumer));
    await fn({
      server,
      root,
      config,
      net: [`127.0.0.1:${server.port}`],
      nc,
      jsm: await manager(nc),
      streamCreate: (extraNet) =>
        runScript(root, {
          task: "observer",
          script: "observer.ts",
          args: ["stream", "create", "--config", config],
          extraNet,
        }),
    });
  } finally {
    await nc.close();
    await server.destroy();
  }
}
