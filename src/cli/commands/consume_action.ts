/**
 * The action of `observer.ts consume`: snapshots pulled from a durable NATS JetStream consumer
 * into the configured sinks until a shutdown signal.
 *
 * @module
 */

import { getObserverLogger } from "../../log/logging.ts";
import type { NatsConfig } from "../../config/config_types.ts";
import { instanceConfig, natsBlock } from "../nats_commands.ts";
import { type Command, workersFlag } from "../options.ts";
import { runRecordingCommand } from "../recording_command.ts";
import { configFlags } from "../sink_options.ts";
import { writeAllSync } from "../stdio.ts";
import type { CommandContext } from "./context.ts";
import type { ConsumeFlags } from "./command_flags.ts";

/** Runs `consume` until a shutdown signal; returns the exit code. */
export async function runConsume(
  flags: ConsumeFlags,
  command: Command,
  context: CommandContext,
): Promise<number> {
  let nats: NatsConfig | undefined;
  return await runRecordingCommand({
    root: context.root,
    flags,
    ...configFlags(command, context.userPath),
    env: context.env,
    pipeline: { workers: workersFlag(command) },
    forceExit: context.forceExit,
    followArgs: ["--instance", flags.instance],
    configure: async (config) => {
      nats = await natsBlock(config, "consume");
      return instanceConfig(config!, flags.instance);
    },
    feed: async (_observer, signal, _deadLetters, pipeline) => {
      const { consumeIntoPipeline } = await import("../../app/consume.ts");
      const result = await consumeIntoPipeline(pipeline, {
        servers: nats!.servers,
        credentials: nats!.credentials,
        stream: nats!.stream.name,
        consumer: nats!.consumer,
        instance: flags.instance,
        signal,
        logger: getObserverLogger("consume"),
      });
      writeAllSync(
        context.stdout,
        `consume: snapshots=${result.snapshots} rejected=${result.rejected} ` +
          `acked=${result.acked} redelivered=${result.redelivered} unacked=${result.unacked} ` +
          `stream=${nats!.stream.name} consumer=${nats!.consumer.durable} ` +
          `instance=${flags.instance}\n`,
      );
      // What the sinks let go of was left unacked: the stream delivers it again.
      return { rejected: result.rejected, redeliversLetGo: true };
    },
  });
}
