/**
 * The Observer as an HTTP service (`observer.ts serve`): runtimes in any language POST snapshot
 * lines, which go through the same parser, validation, guard and dead-letter path as stdin;
 * with a bearer token set, every route needs it but health, readiness and the dashboard's page
 * (and `/metrics` when opened); without one, requests with a foreign `Host` (421) and
 * cross-origin writes (403) are refused.
 *
 * Routes (one module each under `routes/`): `POST /v1/snapshots`, `GET /v1/stream` (Server-Sent
 * Events), `GET /healthz`, `GET /readyz`, `GET /v1/status`, `GET /metrics`, and the live
 * dashboard at `GET /`. This module wires them behind the connection guard and stops them.
 *
 * @module
 */

import type { Pipeline } from "../app/pipeline.ts";
import type { Logger } from "../log/logging.ts";
import {
  type ConnectionGuard,
  PEER_HEADER,
  startConnectionGuard,
  type TlsCertificate,
} from "./connection_guard.ts";
import { type FileStreamLimits, RecordFileStream } from "./record_file_stream.ts";
import { RecordStreamHub } from "./record_stream_hub.ts";
import { foreignRequest, OwnHosts, unauthorized } from "./request_checks.ts";
import { BodyRecorder } from "./routes/body_recorder.ts";
import { dashboardRoute } from "./routes/dashboard.ts";
import { healthRoutes } from "./routes/health.ts";
import { ingestRoute } from "./routes/ingest.ts";
import { metricsRoute } from "./routes/metrics.ts";
import { type Route, RouteTable } from "./routes/route_table.ts";
import { statusRoute } from "./routes/status.ts";
import { streamRoute } from "./routes/stream.ts";
import { SERVER_LIMITS, type ServerLimits } from "./server_limits.ts";
import { type ServiceContext, ServiceCounters, streamStats } from "./service_context.ts";
import { serviceMetrics } from "./service_metrics.ts";
import { stopService } from "./service_shutdown.ts";
import { removeStaleSocket } from "./upstream_socket.ts";

export { DEFAULT_SERVE_PORT, SERVER_LIMITS, type ServerLimits } from "./server_limits.ts";
export type { TlsCertificate } from "./connection_guard.ts";

/** What the service needs. */
export interface ObserverServerOptions {
  /** The open pipeline records go into. */
  readonly pipeline: Pipeline;
  /** Address to listen on. */
  readonly hostname: string;
  /** Port to listen on (0: any free one). */
  readonly port: number;
  /**
   * With it, the service listens with TLS (HTTPS): the certificate chain and private key as PEM
   * text, read by the caller. The connection guard ends TLS; the server behind it is unchanged.
   */
  readonly tls?: TlsCertificate;
  /**
   * The Unix socket the HTTP server listens on behind the connection guard (inside a directory
   * the process may write; removed at shutdown).
   */
  readonly socketPath: string;
  /**
   * Bearer token required by every route but `/healthz`, `/readyz` and the dashboard's page
   * (`/metrics` too unless `openMetrics`); none when absent (loopback only, checked by the
   * caller: then requests are checked for a `Host` of this service and cross-origin writes).
   */
  readonly token?: string;
  /** With a token, leave `GET /metrics` open (a scraper on loopback). Default: false. */
  readonly openMetrics?: boolean;
  /** Limits; defaults in {@linkcode SERVER_LIMITS}. */
  readonly limits?: Partial<ServerLimits>;
  /**
   * Limits of the stream of records as written (how far a subscriber may fall behind, ...);
   * defaults in `FILE_STREAM_LIMITS` of `record_file_stream.ts`.
   */
  readonly streamLimits?: Partial<FileStreamLimits>;
  /** Receives request errors and the listen line. */
  readonly logger: Logger;
  /** Clock. Default `Date.now`. */
  readonly now?: () => number;
}

/** A running service. */
export interface ObserverServer {
  /** Where it listens. */
  readonly hostname: string;
  /** Its port. */
  readonly port: number;
  /**
   * Stops accepting connections, lets every request that came finish and its answer reach its
   * client whole, ends the streams, then closes.
   */
  shutdown(): Promise<void>;
  /** Lines that were not snapshots, over all requests. */
  readonly rejected: number;
}

/** The record file that takes every record, when there is one: the stream follows it. */
function recordFileStream(
  pipeline: Pipeline,
  limits: Partial<FileStreamLimits> | undefined,
): RecordFileStream | undefined {
  const fileSink = pipeline.sinks.find(({ config, path }) =>
    config.type === "jsonl" && path !== undefined && config.filter === undefined &&
    config.sample === undefined
  );
  return fileSink === undefined ? undefined : new RecordFileStream(fileSink.path!, limits);
}

/** The routes of the service, behind its checks. */
function routeTable(
  options: ObserverServerOptions,
  context: ServiceContext,
  recorder: BodyRecorder,
  own: OwnHosts,
): { table: RouteTable; countRequest: (route: string, status: number) => void } {
  const metrics = serviceMetrics(context.pipeline, {
    rejected: () => context.counters.rejected,
    stream: () => streamStats(context),
    connections: () => context.connections(),
  });
  const routes: Route[] = [
    ingestRoute(context, recorder),
    streamRoute(context),
    dashboardRoute(),
    ...healthRoutes(context),
    statusRoute(context),
    metricsRoute(metrics, options.openMetrics === true),
  ];
  const table = new RouteTable(routes, {
    foreign: (request) => options.token === undefined ? foreignRequest(request, own) : undefined,
    unauthorized: (request) => unauthorized(request, options.token),
  });
  return {
    table,
    countRequest: (route, status) => {
      context.counters.count(route, status);
      metrics.countRequest(route, status);
    },
  };
}

/**
 * Starts the service on `hostname:port`.
 *
 * @example
 * ```ts
 * import { startObserverServer } from "./observer_server.ts";
 * import type { Pipeline } from "../app/pipeline.ts";
 * import { getObserverLogger } from "../log/logging.ts";
 * declare const pipeline: Pipeline;
 * const server = await startObserverServer({
 *   pipeline,
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   socketPath: "/tmp/qts-observer.sock",
 *   logger: getObserverLogger("server"),
 * });
 * await server.shutdown();
 * ```
 */
export async function startObserverServer(
  options: ObserverServerOptions,
): Promise<ObserverServer> {
  const limits: ServerLimits = { ...SERVER_LIMITS, ...options.limits };
  const now = options.now ?? Date.now;
  const { pipeline, logger } = options;
  const hub = new RecordStreamHub();
  pipeline.bus.add(hub);
  // The guard starts after the routes are built (its listener first of what runs).
  const door: { guard?: ConnectionGuard } = {};
  const context: ServiceContext = {
    pipeline,
    limits,
    logger,
    now,
    startedAt: now(),
    hub,
    fileStream: recordFileStream(pipeline, options.streamLimits),
    counters: new ServiceCounters(),
    connections: () => door.guard!.stats(),
    disconnect: (peer) => door.guard?.disconnect(peer),
  };
  // NDJSON bodies are recorded by the pipeline's workers when it has them; started once the
  // listener is up (below), so a failed start leaves no worker behind.
  const recorder = new BodyRecorder(pipeline, hub);
  const own = new OwnHosts();
  const { table, countRequest } = routeTable(options, context, recorder, own);
  await removeStaleSocket(options.socketPath);
  // Requests that come before the server behind listens wait for it (the guard listens first).
  const upstream = Promise.withResolvers<void>();
  // The listener first: when the address is taken, nothing else has started yet.
  const guard = door.guard = startConnectionGuard({
    hostname: options.hostname,
    port: options.port,
    tls: options.tls,
    upstreamPath: options.socketPath,
    upstreamReady: upstream.promise,
    limits,
    logger,
  });
  let server: Deno.HttpServer<Deno.UnixAddr>;
  try {
    recorder.start();
    await context.fileStream?.start();
    server = Deno.serve({ path: options.socketPath, onListen: () => {} }, async (request) => {
      const remote = request.headers.get(PEER_HEADER) ?? "unknown";
      const [name, response] = await table.answer(request, remote);
      countRequest(name, response.status);
      return response;
    });
    upstream.resolve();
  } catch (error) {
    upstream.resolve(); // what waited is answered 503: the start failed
    guard.stopAccepting();
    await context.fileStream?.close();
    recorder.close();
    throw error;
  }
  const addr = guard.addr;
  own.listen(addr.hostname, addr.port, options.tls !== undefined);
  logger.info("Observer service listening on {scheme}://{hostname}:{port}", {
    scheme: options.tls === undefined ? "http" : "https",
    hostname: addr.hostname,
    port: addr.port,
  });
  return {
    hostname: addr.hostname,
    port: addr.port,
    shutdown: () =>
      stopService({ guard, server, recorder, context, socketPath: options.socketPath }),
    get rejected() {
      return context.counters.rejected;
    },
  };
}
