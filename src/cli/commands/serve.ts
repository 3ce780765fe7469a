/**
 * `observer.ts serve`: the Observer as an HTTP service. The flags are added in
 * {@linkcode addServeOptions} and checked in {@linkcode serveSetup} before anything is opened;
 * a new flag of the service goes in those two places.
 *
 * @module
 */

import { getObserverLogger } from "../../log/logging.ts";
import { isLoopback } from "../../server/bearer_token.ts";
import {
  DEFAULT_SERVE_PORT,
  SERVER_LIMITS,
  startObserverServer,
} from "../../server/observer_server.ts";
import { serviceSocketPath } from "../../paths.ts";
import { parseMaxLineBytes, parsePositiveInt } from "../flag_parsers.ts";
import { type Command, workersFlag, workersOption } from "../options.ts";
import { runRecordingCommand } from "../recording_command.ts";
import { parseListen, readTlsCertificate, readToken, type TlsFlags } from "../serve_options.ts";
import { SHUTDOWN_SIGNALS_HELP } from "../signals.ts";
import { addCommonOptions, type CommonFlags, configFlags } from "../sink_options.ts";
import { type CommandContext, errorMessage, fail } from "./context.ts";
import type { CommandHost } from "./program.ts";

/** The flags of `serve`. */
export interface ServeFlags extends CommonFlags, TlsFlags {
  /** `--listen`: `host:port`. */
  listen: string;
  /** `--token-env`: the variable holding the bearer token. */
  tokenEnv?: string;
  /** `--token-file`: the file holding the bearer token. */
  tokenFile?: string;
  /** `--max-body-bytes`: largest request body, decompressed. */
  maxBodyBytes: number;
  /** `--max-lines`: most lines in one request. */
  maxLines: number;
  /** `--max-line-bytes`: longest line. */
  maxLineBytes: number;
  /** `--max-concurrent-requests`: ingest requests handled at once. */
  maxConcurrentRequests: number;
  /** `--max-requests-per-client`: ingest requests handled at once for one client address. */
  maxRequestsPerClient: number;
  /** `--backpressure-wait-ms`: how long a request waits for room in the sink queues. */
  backpressureWaitMs: number;
  /** `--header-timeout-ms`: time to send the request headers. */
  headerTimeoutMs: number;
  /** `--body-timeout-ms`: time to send the whole body. */
  bodyTimeoutMs: number;
  /** `--max-connections-per-client`: connections open at once from one address. */
  maxConnectionsPerClient: number;
  /** `--send-timeout-ms`: time a client may take no byte of its answer before it is cut. */
  sendTimeoutMs: number;
  /** `--open-metrics`: leave `/metrics` open beside a token. */
  openMetrics?: boolean;
}

/** What `serve` listens with, checked before anything is opened. */
export interface ServeSetup {
  /** The address to listen on. */
  readonly listen: { readonly hostname: string; readonly port: number };
  /** The Unix socket behind the connection guard. */
  readonly socketPath: string;
  /** The bearer token, if one is set. */
  readonly token?: string;
  /** The certificate and key the service listens with (HTTPS), if given. */
  readonly tls?: { readonly cert: string; readonly key: string };
}

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
    .action(
      host.action((flags: ServeFlags, command: Command) => runServe(flags, command, host.context)),
    );
}

/**
 * The address, socket and token `flags` describe; throws with the message to print when the
 * service may not listen there (a token missing beyond loopback, no permission).
 */
export async function serveSetup(flags: ServeFlags, context: CommandContext): Promise<ServeSetup> {
  const listen = parseListen(flags.listen);
  const socketPath = serviceSocketPath(context.root, listen.port);
  const token = await readToken(flags, context.userPath, context.env);
  const tls = await readTlsCertificate(flags, context.userPath);
  if (token === undefined && !isLoopback(listen.hostname)) {
    throw new Error(
      `--listen ${flags.listen}: expected --token-env or --token-file to listen beyond this ` +
        "machine (only loopback addresses may go without a token)",
    );
  }
  const needed = [`${listen.hostname}:${listen.port}`, `unix:${socketPath}`];
  const missing = needed.filter((host) =>
    Deno.permissions.querySync({ name: "net", host }).state !== "granted"
  );
  if (missing.length > 0) {
    throw new Error(
      `--listen ${flags.listen}: no permission to listen there (the service listens on the ` +
        `address and, behind its connection guard, on a Unix socket); the serve task grants ` +
        `127.0.0.1:${DEFAULT_SERVE_PORT}: run deno with --allow-net=${needed.join(",")}`,
    );
  }
  return { listen, socketPath, token, tls };
}

/** Runs the service until a shutdown signal; returns the exit code. */
export async function runServe(
  flags: ServeFlags,
  command: Command,
  context: CommandContext,
): Promise<number> {
  let setup: ServeSetup;
  try {
    setup = await serveSetup(flags, context);
  } catch (error) {
    return fail(context, errorMessage(error));
  }
  return await runRecordingCommand({
    root: context.root,
    flags,
    ...configFlags(command, context.userPath),
    env: context.env,
    // The live stream may ask for blocked snapshots (guard=BLOCK); file sinks still pass them
    // over unless their filter asks.
    pipeline: { dispatchBlocked: true, workers: workersFlag(command) },
    forceExit: context.forceExit,
    feed: async (_observer, signal, _deadLetters, pipeline) => {
      const server = await startObserverServer({
        pipeline,
        ...setup.listen,
        socketPath: setup.socketPath,
        token: setup.token,
        tls: setup.tls,
        openMetrics: flags.openMetrics === true,
        limits: flags,
        logger: getObserverLogger("server"),
      });
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        signal.addEventListener("abort", () => resolve(), { once: true });
      });
      await server.shutdown();
      return { rejected: server.rejected };
    },
  });
}
