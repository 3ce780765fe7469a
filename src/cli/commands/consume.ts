/**
 * `observer.ts consume`: snapshots pulled from a durable NATS JetStream consumer into the
 * configured sinks, each message acked once its record is written.
 *
 * @module
 */

import { getObserverLogger } from "../../log/logging.ts";
import type { NatsConfig } from "../../config/config_types.ts";
import { instanceConfig, natsBlock } from "../nats_commands.ts";
import { type Command, workersFlag, workersOption } from "../options.ts";
import { runRecordingCommand } from "../recording_command.ts";
import { addCommonOptions, type CommonFlags, configFlags } from "../sink_options.ts";
import { writeAllSync } from "../stdio.ts";
import type { CommandContext } from "./context.ts";
import type { CommandHost } from "./program.ts";

/** The flags of `consume`. */
export interface ConsumeFlags extends CommonFlags {
  /** `--instance`: this process's name among the consumers. */
  instance: string;
}

/** Adds `consume` to `program`. */
export function registerConsume(program: Command, host: CommandHost): void {
  addCommonOptions(
    program.command("consume")
      .description(
        "Record snapshots pulled from a durable NATS JetStream consumer (the --config file's " +
          '"nats" block) into the configured sinks; each message is acked once its record is ' +
          "written (and synced under fsync always). Several processes may share the consumer: " +
          "each writes <base>.<instance>.jsonl.",
      )
      .option(
        "--instance <name>",
        "this process's name among the consumers (1 to 32 letters, digits, _ or -); record " +
          "files are named <base>.<instance>.jsonl",
        "1",
      )
      .addOption(workersOption(navigator.hardwareConcurrency)),
  )
    .addHelpText(
      "after",
      "\nSIGTERM stops pulling, records and acks what was pulled, drains and exits.\n" +
        "Exit codes: as for record; 2 also without a nats block or with no access to its " +
        "servers.\n\nExample:\n" +
        "  deno task observer consume --config examples/config/nats_consume.jsonc --instance a",
    )
    .exitOverride()
    .action(
      host.action((flags: ConsumeFlags, command: Command) =>
        runConsume(flags, command, host.context)
      ),
    );
}

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
