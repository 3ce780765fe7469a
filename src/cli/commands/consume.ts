/**
 * `observer.ts consume`: snapshots pulled from a durable NATS JetStream consumer into the
 * configured sinks, each message acked once its record is written. Its action
 * (`consume_action.ts`) is loaded only when `consume` runs.
 *
 * @module
 */

import { type Command, workersOption } from "../options.ts";
import { addCommonOptions } from "../sink_options.ts";
import type { CommandHost } from "./program.ts";
import type { ConsumeFlags } from "./command_flags.ts";

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
    .action(host.action(async (flags: ConsumeFlags, command: Command) => {
      const { runConsume } = await import("./consume_action.ts");
      return await runConsume(flags, command, host.context);
    }));
}
