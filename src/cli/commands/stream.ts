/**
 * `observer.ts stream create`: the NATS JetStream stream (and durable consumer) of a
 * configuration's `nats` block. Its action (`../nats_commands.ts`) is loaded only when it runs.
 *
 * @module
 */

import type { Command } from "../options.ts";
import type { CommandHost } from "./program.ts";

/** Adds `stream` and its `create` to `program`. */
export function registerStream(program: Command, host: CommandHost): void {
  program.command("stream")
    .description("Work with the NATS JetStream stream of a configuration (see README, NATS).")
    .exitOverride()
    .command("create")
    .description(
      'Create the stream of the --config file\'s "nats" block with its explicit limits ' +
        "(subjects, storage, retention, max age and bytes, duplicate window, replicas), or " +
        "update it to them, and make the durable consumer when it is missing.",
    )
    .requiredOption("--config <file>", "configuration file with a nats block")
    .addHelpText(
      "after",
      "\nExit codes: 0 done, 2 bad file, no access to the servers, or refused by the server." +
        "\n\nExample:\n  deno task observer stream create --config examples/config/nats_consume.jsonc",
    )
    .exitOverride()
    .action(host.action(async (flags: { config: string }) => {
      const { runStreamCreate } = await import("../nats_commands.ts");
      return await runStreamCreate(host.context.userPath(flags.config), host.context.env);
    }));
}
