/**
 * The action of `observer.ts serve`: the flags checked ({@linkcode serveSetup}) before anything
 * is opened, then the Observer as an HTTP service until a shutdown signal.
 *
 * @module
 */

import { getObserverLogger } from "../../log/logging.ts";
import { isLoopback } from "../../server/bearer_token.ts";
import { DEFAULT_SERVE_PORT, startObserverServer } from "../../server/observer_server.ts";
import { serviceSocketPath } from "../../paths.ts";
import { type Command, workersFlag } from "../options.ts";
import { runRecordingCommand } from "../recording_command.ts";
import { parseListen, readTlsCertificate, readToken } from "../serve_options.ts";
import { configFlags } from "../sink_options.ts";
import { type CommandContext, errorMessage, fail } from "./context.ts";
import type { ServeFlags } from "./command_flags.ts";

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
