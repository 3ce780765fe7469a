/**
 * The Observer as an HTTP service (`observer.ts serve`): runtimes in any language POST snapshot
 * lines, which go through the same parser, validation, guard and dead-letter path as stdin;
 * with a bearer token set, every route needs it but health, readiness and the dashboard's page
 * (and `/metrics` when opened); without one, requests with a foreign `Host` (421) and
 * cross-origin writes (403) are refused.
 *
 * Routes: `POST /v1/snapshots`, `GET /v1/stream` (Server-Sent Events), `GET /healthz`,
 * `GET /readyz`, `GET /v1/status`, `GET /metrics`, and the live dashboard at `GET /`.
 *
 * @module
 */

import { type Pipeline, recordsLetGo } from "../app/pipeline.ts";
import { recordStream, recordStreamInParallel, recordTextLines } from "../app/replay.ts";
import { ChunkWorkers } from "../parallel/chunk_workers.ts";
import { ChunkBuffers } from "../parallel/chunk_buffers.ts";
import { jsonArrayElements, JsonArrayError } from "../io/json_array_elements.ts";
import type { TextLine } from "../io/line_reader.ts";
import type { DeadLetterEntry } from "../contract/dead_letter_entry.ts";
import { OBSERVER_VERSION } from "../contract/snapshot.ts";
import type { Logger } from "../log/logging.ts";
import type { DeadLetters } from "../sinks/dead_letter.ts";
import { hasBearerToken } from "./bearer_token.ts";
import { readBoundedBody, RequestRefused } from "./request_body.ts";
import { serviceMetrics } from "./service_metrics.ts";
import { RecordStreamHub, STREAM_HUB_LIMITS } from "./record_stream_hub.ts";
import { RecordFileStream } from "./record_file_stream.ts";
import { validateFilter } from "../config/config_schema.ts";
import { dashboardCsp, dashboardHtml } from "./dashboard_page.ts";
import {
  CONNECTION_LIMITS,
  type ConnectionLimits,
  PEER_HEADER,
  startConnectionGuard,
} from "./connection_guard.ts";
import { compileFilter, guardActionsOnly, mentionsGuard } from "../sinks/record_filter.ts";

/** Limits of the service; each refusal is a clear 4xx or 503. */
export interface ServerLimits extends ConnectionLimits {
  /** Largest request body, in bytes after decompression (413 beyond). */
  readonly maxBodyBytes: number;
  /** Most lines in one request (413 beyond). */
  readonly maxLines: number;
  /** Longest line, in bytes (the line is rejected, the others recorded). */
  readonly maxLineBytes: number;
  /** Ingest requests handled at once (503 with `Retry-After` beyond). */
  readonly maxConcurrentRequests: number;
  /**
   * How long a request waits for room in full sink queues before it is refused with 503 and
   * nothing of it recorded, in ms.
   */
  readonly backpressureWaitMs: number;
  /** Time to receive a whole ingest body once its headers came, in ms (408 beyond). */
  readonly bodyTimeoutMs: number;
}

/** The port `observer.ts serve` listens on by default (on 127.0.0.1). */
export const DEFAULT_SERVE_PORT = 8089;

/**
 * The default limits: 4 MiB bodies, 10,000 lines, 1 MiB lines, 8 requests at once, 2 s of
 * waiting for full queues, 30 s for a body; and the connection limits (10 s for the headers,
 * 64 KiB of them, 1,024 connections).
 */
export const SERVER_LIMITS: ServerLimits = {
  ...CONNECTION_LIMITS,
  maxBodyBytes: 4 * 1024 * 1024,
  maxLines: 10_000,
  maxLineBytes: 1024 * 1024,
  maxConcurrentRequests: 8,
  backpressureWaitMs: 2000,
  bodyTimeoutMs: 30_000,
};

/** The routes there are (a request for another is counted as `(other)`). */
const KNOWN_ROUTES = new Set([
  "/",
  "/v1/snapshots",
  "/v1/stream",
  "/healthz",
  "/readyz",
  "/v1/status",
  "/metrics",
]);

/** How long streams that ended get to hand their last bytes to their clients at shutdown, ms. */
const SHUTDOWN_GRACE_MS = 2000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Bytes of a body in one chunk for the workers: smaller than a file's chunks, so that a body of
 * 1,000 lines is spread over the workers, and a chunk's records (about 3 × its bytes) come to a
 * live stream subscriber in bursts well inside its 1 MiB bound.
 */
const BODY_CHUNK_BYTES = 64 * 1024;

/** A record takes about this many times its snapshot's bytes (the envelope and metadata). */
const RECORD_GROWTH = 3;

/** What the service needs. */
export interface ObserverServerOptions {
  /** The open pipeline records go into. */
  readonly pipeline: Pipeline;
  /** Address to listen on. */
  readonly hostname: string;
  /** Port to listen on (0: any free one). */
  readonly port: number;
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
  /** Stops accepting connections and waits for requests in flight. */
  shutdown(): Promise<void>;
  /** Lines that were not snapshots, over all requests. */
  readonly rejected: number;
}

/** One line of an ingest answer that did not become a record. */
interface LineOutcome {
  readonly line: number;
  readonly reasons: readonly string[];
  readonly run_id?: string;
}

/**
 * The elements of a JSON array body, each judged like a line (a longer element than a line may
 * be is rejected alone); 400 when the body is not one array or not UTF-8.
 */
function arrayElements(body: Uint8Array, limits: ServerLimits): TextLine[] {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(body);
  } catch {
    throw new RequestRefused(400, "expected a UTF-8 body, got invalid bytes");
  }
  let elements: TextLine[];
  try {
    elements = jsonArrayElements(text);
  } catch (error) {
    if (error instanceof JsonArrayError) throw new RequestRefused(400, error.message);
    throw error;
  }
  if (elements.length > limits.maxLines) {
    throw new RequestRefused(
      413,
      `expected at most ${limits.maxLines} elements in one request, got ${elements.length}`,
    );
  }
  return elements.map((element) =>
    element.text.length > limits.maxLineBytes / 3 &&
      new TextEncoder().encode(element.text).length > limits.maxLineBytes
      ? {
        ...element,
        text: "",
        problem: `expected an element of at most ${limits.maxLineBytes} bytes, got more`,
      }
      : element
  );
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body) + "\n", {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

function problem(status: number, message: string, headers: Record<string, string> = {}) {
  return json(status, { error: message }, headers);
}

/**
 * Removes the socket file a killed service left behind; throws when a service still answers on it
 * (another `observer.ts serve` on the same port of this project).
 */
async function removeStaleSocket(path: string): Promise<void> {
  try {
    const conn = await Deno.connect({ transport: "unix", path });
    conn.close();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    await Deno.remove(path).catch(() => {}); // nobody listens: left by a killed process
    return;
  }
  throw new Error(`another observer.ts serve answers on ${path}: expected none`);
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
  const startedAt = now();
  const { pipeline, logger } = options;
  let inFlight = 0;
  let rejectedLines = 0;
  let requestNumber = 0;
  const requests = new Map<string, number>();
  /** `Host` values of this service (set once it listens). */
  const ownHosts = new Set<string>();
  const hub = new RecordStreamHub();
  pipeline.bus.add(hub);
  // NDJSON bodies are recorded by the pipeline's workers when it has them (one pool shared by
  // the requests); the live stream from memory is handed each chunk's records as accepted.
  // Started once the listener is up (below), so a failed start leaves no worker behind.
  const parallel = pipeline.parallel;
  let workers: ChunkWorkers | undefined;
  const chunkOptions = {
    blockedRecords: true,
    onChunk: hub.writeChunk.bind(hub),
    chunkBytes: BODY_CHUNK_BYTES,
    // Kept across requests: a request's buffers are reused by the next ones.
    buffers: new ChunkBuffers(4 * (parallel?.workers ?? 1) + 2, BODY_CHUNK_BYTES),
  };
  // The record file that takes every record, when there is one: the stream follows it.
  const fileSink = pipeline.sinks.find(({ config, path }) =>
    config.type === "jsonl" && path !== undefined && config.filter === undefined &&
    config.sample === undefined
  );
  const fileStream = fileSink === undefined ? undefined : new RecordFileStream(fileSink.path!);
  const fileSubscribers = () => fileStream?.streamStats().subscribers ?? 0;
  const maxSubscribers = STREAM_HUB_LIMITS.maxSubscribers;
  const streamStats = () => {
    const a = hub.streamStats();
    const b = fileStream?.streamStats() ?? { subscribers: 0, slowDisconnects: 0, events: 0 };
    return {
      subscribers: a.subscribers + b.subscribers,
      slowDisconnects: a.slowDisconnects + b.slowDisconnects,
      events: a.events + b.events,
    };
  };
  const metrics = serviceMetrics(pipeline, {
    rejected: () => rejectedLines,
    stream: streamStats,
    connections: () => guard.stats(),
  });
  const count = (route: string, status: number) => {
    const key = `${route} ${status}`;
    requests.set(key, (requests.get(key) ?? 0) + 1);
    metrics.countRequest(route, status);
  };

  const sinkSummaries = () =>
    pipeline.sinks.map(({ config, sink, path }) => ({
      name: config.name,
      type: config.type,
      path: path?.(),
      ...sink.stats(),
    }));

  /** The 401 answer when a token is set and the request does not carry it. */
  async function unauthorized(request: Request): Promise<Response | undefined> {
    if (options.token === undefined || await hasBearerToken(request, options.token)) return;
    return problem(401, "expected Authorization: Bearer <token>", {
      "www-authenticate": 'Bearer realm="qts-observer"',
    });
  }

  async function ingest(request: Request, remote: string): Promise<Response> {
    const ack = new URL(request.url).searchParams.get("ack") ?? "queued";
    if (ack !== "queued" && ack !== "durable") {
      return problem(400, `ack: expected queued or durable, got ${JSON.stringify(ack)}`);
    }
    const type = (request.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
    if (inFlight >= limits.maxConcurrentRequests) {
      return problem(
        503,
        `expected at most ${limits.maxConcurrentRequests} ingest requests at once; retry`,
        { "retry-after": "1" },
      );
    }
    inFlight++;
    try {
      const isArray = type === "application/json";
      // An array body is limited by its element count (below), not by its lines.
      const body = await readBoundedBody(
        request,
        isArray ? { ...limits, maxLines: Infinity } : limits,
        AbortSignal.timeout(limits.bodyTimeoutMs),
      );
      const input = `http:${remote}#${++requestNumber}`;
      const blocked: LineOutcome[] = [];
      const rejected: LineOutcome[] = [];
      const deadLetters: DeadLetters = {
        add(entry: DeadLetterEntry) {
          const outcome = { line: entry.line, reasons: entry.reasons, run_id: entry.run_id };
          (entry.kind === "blocked" ? blocked : rejected).push(outcome);
          return pipeline.deadLetters.add(entry);
        },
        stats: () => pipeline.deadLetters.stats(),
      };
      const full = await waitForRoom(body.length * RECORD_GROWTH);
      if (full !== undefined) {
        return problem(
          503,
          `the sinks' queues are full (${full}); nothing of this request was recorded: retry`,
          { "retry-after": "1" },
        );
      }
      const lostBefore = recordsLetGo(pipeline);
      const options = { deadLetters, maxLineBytes: limits.maxLineBytes, now } as const;
      const result = isArray
        ? await recordTextLines(pipeline.observer, input, arrayElements(body, limits), options)
        // The body as one chunk, not copied again (a Blob's stream copies it: ~7 % of the
        // service's CPU at 1,000 lines a request).
        : workers !== undefined
        ? await recordStreamInParallel(
          workers,
          parallel!,
          input,
          ReadableStream.from([body]),
          { ...options, format: "snapshots" },
          chunkOptions,
        )
        : await recordStream(pipeline.observer, input, ReadableStream.from([body]), {
          ...options,
          format: "snapshots",
        });
      rejectedLines += result.rejected;
      const answer = {
        accepted: result.snapshots - blocked.length,
        blocked: blocked.map(({ line, reasons, run_id }) => ({ line, run_id, reasons })),
        rejected: rejected.map(({ line, reasons }) => ({ line, reason: reasons[0] })),
        ack,
      };
      // Not queued everywhere: not an answer of 200. What was kept of it is recorded; a retry
      // may record that twice (at least once, never lost).
      const letGo = (lost: number) =>
        json(503, {
          ...answer,
          error: `${lost} record(s) of this request (or of one recorded at the same time) were ` +
            "let go of by a failing or full sink: retry",
        }, { "retry-after": "1" });
      const lost = recordsLetGo(pipeline) - lostBefore;
      if (lost > 0) return letGo(lost);
      if (ack === "durable") {
        try {
          await Promise.all(pipeline.sinks.map(({ sink }) => sink.flush()));
        } catch (error) {
          return json(503, { ...answer, error: (error as Error).message }, { "retry-after": "5" });
        }
        // A `drop_oldest` queue may have dropped records of this one while they waited to be
        // written (a flush also ends when what it waits for was dropped).
        const lostMeanwhile = recordsLetGo(pipeline) - lostBefore;
        if (lostMeanwhile > 0) return letGo(lostMeanwhile);
      }
      return json(200, answer);
    } catch (error) {
      if (error instanceof RequestRefused) {
        return problem(error.status, error.message, error.headers);
      }
      logger.error("Ingest request failed: {error}", { error: String(error) });
      return problem(500, "the request could not be recorded; see the service's log");
    } finally {
      inFlight--;
    }
  }

  /**
   * Waits until every sink has room for about `bytes` (at most half its queue), up to the
   * backpressure bound. Returns the names of the full sinks when time ran out, or at once when a
   * full sink is failing (it takes nothing until its destination recovers: a request would
   * wait for it under `block`).
   */
  async function waitForRoom(bytes: number): Promise<string | undefined> {
    const deadline = performance.now() + limits.backpressureWaitMs;
    while (true) {
      const full = sinkSummaries().filter((s) =>
        s.maxQueueBytes !== undefined && s.queuedBytes !== undefined &&
        s.maxQueueBytes - s.queuedBytes < Math.min(bytes, s.maxQueueBytes / 2)
      );
      if (full.length === 0) return undefined;
      if (full.some((s) => s.failing) || performance.now() >= deadline) {
        return full.map((s) => s.name).join(", ");
      }
      await sleep(5);
    }
  }

  function stream(request: Request): Response {
    const query = new URL(request.url).searchParams;
    const spec: Record<string, string | string[]> = {};
    for (const key of new Set(query.keys())) {
      if (key === "last_event_id") continue;
      const values = query.getAll(key);
      spec[key] = values.length === 1 ? values[0] : values;
    }
    const filter = validateFilter(spec);
    if (Array.isArray(filter)) {
      return problem(400, `query: ${filter.join("; ")}`);
    }
    const lastId = request.headers.get("last-event-id") ?? query.get("last_event_id") ??
      undefined;
    const predicate = compileFilter(filter);
    const takesBlocked = mentionsGuard(filter);
    // Records as written, from the record file, unless blocked snapshots are asked for (they are
    // not in it) or no file takes every record: then as accepted, from memory.
    const source = takesBlocked || fileStream === undefined ? hub : fileStream;
    if (!source.hasRoom || hub.streamStats().subscribers + fileSubscribers() >= maxSubscribers) {
      return problem(503, "expected fewer stream subscribers; retry", { "retry-after": "5" });
    }
    let body: ReadableStream<Uint8Array>;
    if (source === fileStream) {
      body = fileStream.subscribe(predicate, lastId);
    } else {
      body = hub.subscribe(
        takesBlocked ? predicate : (r) => r.metadata.guard.action === "PASS" && predicate(r),
        lastId,
        takesBlocked ? guardActionsOnly(filter) : undefined,
      );
    }
    return new Response(body, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache",
      },
    });
  }

  /** The followers of the log: state, delivery and lag (lines counted up to 16 MiB behind). */
  async function followerStatus() {
    return await Promise.all(pipeline.followers.map(async (follower) => {
      const stats = follower.stats();
      const lag = await follower.lag(16 * 1024 * 1024);
      return {
        name: stats.name,
        destination: stats.destination,
        state: stats.state,
        last_error: stats.lastError,
        delivered: stats.delivered,
        refused: stats.refused,
        filtered: stats.filtered,
        sampled: stats.sampled,
        behind_records: lag.records,
        behind_bytes: lag.bytes,
        behind_seconds: lag.wallSeconds,
        position: stats.position,
      };
    }));
  }

  async function status(): Promise<Response> {
    return json(200, {
      followers: await followerStatus(),
      stream: streamStats(),
      connections: guard.stats(),
      version: OBSERVER_VERSION,
      started_at: new Date(startedAt).toISOString(),
      uptime_seconds: Math.round((now() - startedAt) / 1000),
      observer: pipeline.observer.counters,
      rejected: rejectedLines,
      sinks: sinkSummaries(),
      dead_letters: pipeline.deadLetters.stats(),
      http: Object.fromEntries(requests),
    });
  }

  function ready(): Response {
    const failing = sinkSummaries().filter((s) => s.failing);
    if (failing.length === 0) return json(200, { ready: true });
    return json(503, {
      ready: false,
      reasons: failing.map((s) => `${s.name}: ${s.failure ?? "failing"}`),
    });
  }

  /**
   * Without a token, the answer to a request a browser may have been made to send by another
   * site: a `Host` that is not this service's (DNS rebinding: 421), or a write from another
   * origin (403). `/healthz` and `/readyz` are not checked.
   */
  function foreign(request: Request, pathname: string): Response | undefined {
    if (options.token !== undefined || pathname === "/healthz" || pathname === "/readyz") return;
    const host = (request.headers.get("host") ?? "").toLowerCase();
    if (!ownHosts.has(host)) {
      return problem(
        421,
        `expected Host ${[...ownHosts][0]} (or localhost, 127.0.0.1 with the port), got ${
          JSON.stringify(host.slice(0, 100))
        }`,
      );
    }
    if (request.method === "GET" || request.method === "HEAD") return;
    const origin = request.headers.get("origin");
    const site = request.headers.get("sec-fetch-site");
    if (
      site === "cross-site" || site === "same-site" ||
      (origin !== null && !(origin.startsWith("http://") && ownHosts.has(origin.slice(7))))
    ) {
      return problem(
        403,
        `expected a request from this service's own origin, got one from ${
          JSON.stringify((origin ?? site ?? "").slice(0, 100))
        }`,
      );
    }
  }

  /** Whether `pathname` needs the token (when one is set). */
  const guarded = (pathname: string) =>
    !(pathname === "/healthz" || pathname === "/readyz" || pathname === "/" ||
      (pathname === "/metrics" && options.openMetrics === true));

  async function route(request: Request, remote: string): Promise<[string, Response]> {
    const { pathname } = new URL(request.url);
    const method = request.method;
    const name = KNOWN_ROUTES.has(pathname) ? pathname : "(other)";
    const refused = foreign(request, pathname);
    if (refused !== undefined) return [name, refused];
    if (guarded(pathname) && KNOWN_ROUTES.has(pathname)) {
      const denied = await unauthorized(request);
      if (denied !== undefined) return [name, denied];
    }
    if (pathname === "/v1/snapshots") {
      if (method !== "POST") return [pathname, problem(405, "expected POST", { allow: "POST" })];
      return [pathname, await ingest(request, remote)];
    }
    if (pathname === "/v1/stream") {
      if (method !== "GET") return [pathname, problem(405, "expected GET", { allow: "GET" })];
      return [pathname, stream(request)];
    }
    if (
      pathname === "/" || pathname === "/healthz" || pathname === "/readyz" ||
      pathname === "/v1/status" ||
      pathname === "/metrics"
    ) {
      if (method !== "GET" && method !== "HEAD") {
        return [pathname, problem(405, "expected GET", { allow: "GET, HEAD" })];
      }
      if (pathname === "/healthz") return [pathname, json(200, { ok: true })];
      if (pathname === "/") {
        return [
          pathname,
          new Response(dashboardHtml(), {
            headers: {
              "content-type": "text/html; charset=utf-8",
              "cache-control": "no-cache",
              "content-security-policy": dashboardCsp(),
              "x-frame-options": "DENY",
              "x-content-type-options": "nosniff",
              "referrer-policy": "no-referrer",
            },
          }),
        ];
      }
      if (pathname === "/metrics") {
        return [
          pathname,
          new Response(await metrics.render(), {
            headers: { "content-type": metrics.contentType },
          }),
        ];
      }
      return [pathname, pathname === "/readyz" ? ready() : await status()];
    }
    return ["(other)", problem(404, `no such route: ${method} ${pathname}`)];
  }

  await removeStaleSocket(options.socketPath);
  // Requests that come before the server behind listens wait for it (the guard listens first).
  const upstream = Promise.withResolvers<void>();
  // The listener first: when the address is taken, nothing else has started yet.
  const guard = startConnectionGuard({
    hostname: options.hostname,
    port: options.port,
    upstreamPath: options.socketPath,
    upstreamReady: upstream.promise,
    limits,
    logger,
  });
  let server: Deno.HttpServer<Deno.UnixAddr>;
  try {
    if (parallel !== undefined) workers = new ChunkWorkers(parallel.workers, parallel.judge);
    await fileStream?.start();
    server = Deno.serve({ path: options.socketPath, onListen: () => {} }, async (request) => {
      const remote = request.headers.get(PEER_HEADER) ?? "unknown";
      const [name, response] = await route(request, remote);
      count(name, response.status);
      return response;
    });
    upstream.resolve();
  } catch (error) {
    upstream.resolve(); // what waited is answered 503: the start failed
    guard.stopAccepting();
    await fileStream?.close();
    workers?.close();
    throw error;
  }
  const addr = guard.addr;
  const listened = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
  for (const name of [listened, "localhost", "127.0.0.1"]) {
    ownHosts.add(`${name.toLowerCase()}:${addr.port}`);
    if (addr.port === 80) ownHosts.add(name.toLowerCase());
  }
  logger.info("Observer service listening on http://{hostname}:{port}", {
    hostname: addr.hostname,
    port: addr.port,
  });
  return {
    hostname: addr.hostname,
    port: addr.port,
    async shutdown() {
      guard.stopAccepting();
      // Ingest requests in flight finish (their bodies are bounded in time), and their records
      // are written, so that the streams can send them before they end.
      const deadline = Date.now() + limits.bodyTimeoutMs + limits.backpressureWaitMs;
      while (inFlight > 0 && Date.now() < deadline) await sleep(10);
      workers?.close();
      await Promise.all(pipeline.sinks.map(({ sink }) => sink.flush().catch(() => {})));
      // Streams never end by themselves: end them, then wait for the rest, a little: a
      // subscriber that does not read would hold its answer open for ever.
      await fileStream?.close();
      await hub.close();
      const done = server.shutdown();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const grace = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), SHUTDOWN_GRACE_MS);
      });
      const finished = await Promise.race([done.then(() => true), grace]);
      clearTimeout(timer);
      guard.closeAll(); // what is left: connections of clients that do not read
      if (!finished) await done;
      await Deno.remove(options.socketPath).catch(() => {});
    },
    get rejected() {
      return rejectedLines;
    },
  };
}
