/**
 * `observer.ts serve`: the Observer as an HTTP service. The flags are added in
 * {@linkcode addServeOptions} and checked in `serveSetup` (`serve_action.ts`, loaded only when
 * `serve` runs) before anything is opened; a new flag of the service goes in those two places.
 *
 * @module
 */

import { DEFAULT_SERVE_PORT, SERVER_LIMITS } from "../../server/server_limits.ts";
import { parseMaxLineBytes, parsePositiveInt } from "../flag_parsers.ts";
import { type Command, workersOption } from "../options.ts";
import { SHUTDOWN_SIGNALS_HELP } from "../signals.ts";
import { addCommonOptions } from "../sink_options.ts";
import type { CommandHost } from "./program.ts";
import type { ServeFlags } from "./command_flags.ts";

/** Adds the service's own flags (beside the common ones) to `command`. */
export function addServeOptions(command: Command): Command {
  return command
    .option("--listen <host:port>", "address to listen on", `127.0.0.1:${DEFAULT_SERVE_PORT}`)
    .addOption(workersOption(navigator.hardwareConcurrency))
    .option(
      "--token-env <name>",
      "environment variable holding the bearer token (every route but /healthz, /readyz and " +
        "the dashboard's page)",
    )
    .option(
      "--token-file <path>",
      "file holding the bearer token (every route but /healthz, /readyz and the dashboard's page)",
    )
    .option(
      "--max-body-bytes <n>",
      "largest request body, decompressed (413 beyond)",
      parsePositiveInt,
      SERVER_LIMITS.maxBodyBytes,
    )
    .option(
      "--max-lines <n>",
      "most lines in one request (413 beyond)",
      parsePositiveInt,
      SERVER_LIMITS.maxLines,
    )
    .option(
      "--max-line-bytes <n>",
      "longest line; a longer one is rejected, the others recorded",
      parseMaxLineBytes,
      SERVER_LIMITS.maxLineBytes,
    )
    .option(
      "--max-concurrent-requests <n>",
      "ingest requests handled at once (503 with Retry-After beyond)",
      parsePositiveInt,
      SERVER_LIMITS.maxConcurrentRequests,
    )
    .option(
      "--max-requests-per-client <n>",
      "ingest requests handled at once for one client address (503 with Retry-After beyond)",
      parsePositiveInt,
      SERVER_LIMITS.maxRequestsPerClient,
    )
    .option(
      "--backpressure-wait-ms <n>",
      "how long a request waits for room in full sink queues before 503 (nothing recorded)",
      parsePositiveInt,
      SERVER_LIMITS.backpressureWaitMs,
    )
    .option(
      "--header-timeout-ms <n>",
      "time a connection has to send its request headers before it is closed",
      parsePositiveInt,
      SERVER_LIMITS.headerTimeoutMs,
    )
    .option(
      "--body-timeout-ms <n>",
      "time an ingest request has to send its whole body once its headers came (408 beyond)",
      parsePositiveInt,
      SERVER_LIMITS.bodyTimeoutMs,
    )
    .option(
      "--max-connections-per-client <n>",
      "connections open at once from one client address (503 beyond)",
      parsePositiveInt,
      SERVER_LIMITS.maxConnectionsPerClient,
    )
    .option(
      "--send-timeout-ms <n>",
      "time a client may take no byte of its answer (a stream that never reads) before it is cut",
      parsePositiveInt,
      SERVER_LIMITS.sendTimeoutMs,
    )
    .option("--tls-cert <file>", "serve HTTPS with this certificate chain (PEM; with --tls-key)")
    .option("--tls-key <file>", "the private key of --tls-cert (PEM)")
    .option(
      "--open-metrics",
      "with a token set, leave GET /metrics open too (for a scraper on loopback)",
    );
}

/** Adds `serve` to `program`. */
export function registerServe(program: Command, host: CommandHost): void {
  addCommonOptions(addServeOptions(
    program.command("serve")
      .description(
        "Run the Observer as an HTTP service: POST /v1/snapshots (snapshot JSON lines, gzip " +
          "accepted), GET /healthz, /readyz, /v1/status. Records go to the sinks as configured.",
      ),
  ))
    .addHelpText(
      "after",
      "\nExit codes: 0 stopped cleanly with every snapshot recorded, 1 some lines rejected/" +
        "blocked/dropped/not written, 2 bad flags, a token missing where required, or no " +
        `permission to listen.\n\n${SHUTDOWN_SIGNALS_HELP}\n\nExample:\n  deno task serve`,
    )
    .exitOverride()
    .action(host.action(async (flags: ServeFlags, command: Command) => {
      const { runServe } = await import("./serve_action.ts");
      return await runServe(flags, command, host.context);
    }));
}
