/**
 * The NATS commands of observer.ts: `stream create` (the stream and durable consumer of a
 * configuration's `nats` block) and what `consume` needs before its pipeline opens (the block,
 * the network fence, one record file per instance).
 *
 * @module
 */

import { recordingLayout } from "../app/recording_log.ts";
import type { NatsConfig, ObserverConfig } from "../config/config_types.ts";
import { type EnvReader, loadRunConfig } from "./run_config.ts";
import { checkUserRecordFileName } from "../paths.ts";
import { natsEndpoint, requireNatsAccess } from "../nats/servers.ts";
import { EXIT_OK, EXIT_USAGE } from "./exit_codes.ts";
import { writeAllSync } from "./stdio.ts";

/** An instance name: what `consume --instance` accepts. */
export const INSTANCE_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * The configuration a `consume` process records with: every `jsonl` sink's file becomes
 * `<base>.<instance>.jsonl`, so no two processes ever write one file. Throws when the instance
 * name or a resulting file name is not acceptable, or when a sink's queue would drop its oldest
 * records when full (`drop_oldest`): such a record is of a message handed over earlier, whose
 * ack may already be on its way, so it could not be delivered again.
 *
 * @example
 * ```ts
 * import { instanceConfig } from "./nats_commands.ts";
 * const config = instanceConfig({ sinks: [{ type: "jsonl", name: "a", file: "a.jsonl", tuning: {} }] }, "2");
 * // config.sinks[0].file === "a.2.jsonl"
 * ```
 */
export function instanceConfig(config: ObserverConfig, instance: string): ObserverConfig {
  if (!INSTANCE_PATTERN.test(instance)) {
    throw new RangeError(
      `--instance: expected 1 to 32 letters, digits, _ or -, got ${JSON.stringify(instance)}`,
    );
  }
  for (const sink of config.sinks) {
    if (sink.tuning.whenFull === "drop_oldest") {
      throw new RangeError(
        `sink ${JSON.stringify(sink.name)}: consume cannot use when_full "drop_oldest" (a ` +
          "dropped record may belong to a message already acked, so it would never be delivered " +
          'again); expected "block" (the default) or "drop_newest"',
      );
    }
  }
  // Followers need a log of this instance's own: the one recordingLayout would add is shared.
  const layout = recordingLayout(config);
  const sinks = layout.implicitLog && layout.log !== undefined
    ? [...config.sinks, layout.log]
    : config.sinks;
  return {
    ...config,
    sinks: sinks.map((sink) =>
      sink.type !== "jsonl" ? sink : {
        ...sink,
        file: checkUserRecordFileName(`${sink.file.slice(0, -".jsonl".length)}.${instance}.jsonl`),
      }
    ),
  };
}

/**
 * The `nats` block of a configuration, after checking the process may reach its servers and,
 * when the block has `auth` or TLS, that a server accepts them (one connection, up front);
 * throws with what is missing or refused otherwise.
 *
 * @example
 * ```ts
 * import { natsBlock } from "./nats_commands.ts";
 * import type { ObserverConfig } from "../config/config_types.ts";
 * declare const config: ObserverConfig;
 * const nats = await natsBlock(config, "consume");
 * ```
 */
export async function natsBlock(
  config: ObserverConfig | undefined,
  command: string,
): Promise<NatsConfig> {
  if (config?.nats === undefined) {
    throw new Error(
      `${command}: expected --config with a "nats" block (servers, stream, consumer; see README, NATS)`,
    );
  }
  const nats = config.nats;
  await requireNatsAccess(command, nats.servers);
  if (nats.security !== undefined && nats.credentials === undefined) {
    throw new Error(`${command}: expected the secrets of nats.auth and nats.tls to be read`);
  }
  if (nats.credentials !== undefined || nats.servers.some((s) => natsEndpoint(s).tls)) {
    const { checkNatsLogin } = await import("../nats/connect.ts");
    await checkNatsLogin({
      servers: nats.servers,
      name: `qts-${command.replaceAll(" ", "-")}`,
      timeout: 5000,
      credentials: nats.credentials,
      where: "nats",
    }).catch((error) => {
      throw new Error(`${command}: ${error.message}`);
    });
  }
  return nats;
}

/**
 * `observer.ts stream create --config <file>`: creates (or updates) the stream with the block's
 * explicit limits and makes the durable consumer when missing; prints what it did. The secrets
 * the block's `auth` and `tls` name are read with `env` (environment variables) and from their
 * files. Returns the exit code (2 when the file, a secret, the permission or the server says no).
 */
export async function runStreamCreate(
  configPath: string,
  env: EnvReader,
): Promise<number> {
  try {
    const config = await loadRunConfig(configPath, env);
    if (typeof config === "string") throw new Error(config);
    const nats = await natsBlock(config, "stream create");
    const { jetstreamManager } = await import("@nats-io/jetstream");
    const { applyStream, ensureConsumer } = await import("../nats/stream_setup.ts");
    const { connectNats } = await import("../nats/connect.ts");
    const nc = await connectNats({
      servers: nats.servers,
      name: "qts-stream-create",
      timeout: 5000,
      credentials: nats.credentials,
      where: "nats",
      reconnect: false,
    });
    try {
      const jsm = await jetstreamManager(nc);
      const s = nats.stream;
      const stream = await applyStream(jsm, s);
      const consumer = await ensureConsumer(jsm, s.name, nats.consumer);
      writeAllSync(
        Deno.stdout,
        `stream ${s.name}: ${stream} subjects=${s.subjects.join(",")} storage=${s.storage} ` +
          `retention=${s.retention} max_age_seconds=${s.maxAgeSeconds} max_bytes=${s.maxBytes} ` +
          `duplicate_window_seconds=${s.duplicateWindowSeconds} replicas=${s.replicas}\n` +
          `consumer ${nats.consumer.durable}: ${consumer}\n`,
      );
    } finally {
      await nc.close();
    }
    return EXIT_OK;
  } catch (error) {
    writeAllSync(Deno.stderr, `error: ${error instanceof Error ? error.message : error}\n`);
    return EXIT_USAGE;
  }
}
