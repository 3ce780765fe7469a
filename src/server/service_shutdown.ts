/**
 * The service's shutdown, in the order that cuts no answer: stop accepting; let every request
 * that came finish and its answer reach its client whole (the guard tells when); write what they
 * recorded; end the streams (their last records sent); give stream clients that do not read a
 * little time; close.
 *
 * @module
 */

import type { ConnectionGuard } from "./connection_guard.ts";
import type { BodyRecorder } from "./routes/body_recorder.ts";
import type { ServiceContext } from "./service_context.ts";

/** How long streams that ended get to hand their last bytes to their clients at shutdown, ms. */
export const SHUTDOWN_GRACE_MS = 2000;

/** What {@linkcode stopService} stops. */
export interface RunningService {
  /** The front door. */
  readonly guard: ConnectionGuard;
  /** The HTTP server behind it. */
  readonly server: Deno.HttpServer<Deno.UnixAddr>;
  /** The recorder of ingest bodies (its workers). */
  readonly recorder: BodyRecorder;
  /** The routes' shared state. */
  readonly context: ServiceContext;
  /** The server's Unix socket, removed at the end. */
  readonly socketPath: string;
}

/** Resolves with `promise`'s settling, or `false` once `ms` passed. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Stops a running service (see the module's order). Requests take at most their limits (the
 * headers', the body's, the wait for room, the send timeout); past those it goes on.
 *
 * @example
 * ```ts
 * import { stopService, type RunningService } from "./service_shutdown.ts";
 * declare const service: RunningService;
 * await stopService(service);
 * ```
 */
export async function stopService(service: RunningService): Promise<void> {
  const { guard, server, recorder, context } = service;
  const { limits, pipeline } = context;
  guard.stopAccepting();
  // Every request that came is answered, its answer handed whole to its client, before
  // anything closes: its records are then written, so that the streams can send them.
  await within(
    guard.settled(),
    limits.headerTimeoutMs + limits.bodyTimeoutMs + limits.backpressureWaitMs +
      limits.sendTimeoutMs,
  );
  recorder.close();
  await Promise.all(pipeline.sinks.map(({ sink }) => sink.flush().catch(() => {})));
  // Streams never end by themselves: end them, then wait for the rest, a little: a subscriber
  // that does not read would hold its answer open for ever.
  await context.fileStream?.close();
  await context.hub.close();
  const done = server.shutdown();
  const finished = await within(done, SHUTDOWN_GRACE_MS);
  guard.closeAll(); // what is left: connections of clients that do not read
  if (!finished) await done;
  await Deno.remove(service.socketPath).catch(() => {});
}
