/**
 * `POST /v1/snapshots`: records snapshot lines (NDJSON) or a JSON array of snapshots, answered
 * with what was accepted, blocked and rejected; `?ack=queued` (default) once every record is
 * queued in every sink, `?ack=durable` once written. Refusals record nothing of the request.
 *
 * @module
 */

import { recordsLetGo } from "../../app/pipeline.ts";
import type { DeadLetterEntry } from "../../contract/dead_letter_entry.ts";
import type { DeadLetters } from "../../sinks/dead_letter.ts";
import { json, problem } from "../http_answers.ts";
import { BodyBuffers } from "../body_buffers.ts";
import { readBoundedBody, RequestRefused } from "../request_body.ts";
import type { ServiceContext } from "../service_context.ts";
import { waitForSinkRoom } from "../sink_room.ts";
import type { BodyRecorder } from "./body_recorder.ts";
import type { Route } from "./route_table.ts";

/** A record takes about this many times its snapshot's bytes (the envelope and metadata). */
const RECORD_GROWTH = 3;

/** One line of an ingest answer that did not become a record. */
interface LineOutcome {
  readonly line: number;
  readonly reasons: readonly string[];
  readonly run_id?: string;
}

/** The answer's lines: blocked and rejected, collected as the dead letters are written. */
function collectingDeadLetters(context: ServiceContext) {
  const blocked: LineOutcome[] = [];
  const rejected: LineOutcome[] = [];
  const deadLetters: DeadLetters = {
    add(entry: DeadLetterEntry) {
      const outcome = { line: entry.line, reasons: entry.reasons, run_id: entry.run_id };
      (entry.kind === "blocked" ? blocked : rejected).push(outcome);
      return context.pipeline.deadLetters.add(entry);
    },
    stats: () => context.pipeline.deadLetters.stats(),
  };
  return { blocked, rejected, deadLetters };
}

/** 503 for a request some of whose records a sink let go of: what was kept of it is recorded. */
function letGo(answer: object, lost: number): Response {
  return json(503, {
    ...answer,
    error: `${lost} record(s) of this request (or of one recorded at the same time) were ` +
      "let go of by a failing or full sink: retry",
  }, { "retry-after": "1" });
}

/**
 * The ingest route, recording bodies with `recorder`.
 *
 * @example
 * ```ts
 * import { ingestRoute } from "./ingest.ts";
 * import type { ServiceContext } from "../service_context.ts";
 * import type { BodyRecorder } from "./body_recorder.ts";
 * declare const context: ServiceContext, recorder: BodyRecorder;
 * const route = ingestRoute(context, recorder);
 * ```
 */
export function ingestRoute(context: ServiceContext, recorder: BodyRecorder): Route {
  const { limits } = context;
  // A buffer per request at once, reused: see body_buffers.ts.
  const buffers = new BodyBuffers(limits.maxConcurrentRequests);
  let inFlight = 0;
  /** Ingest requests in progress per client address (the host of `host:port`). */
  const perClient = new Map<string, number>();
  const numbering = { last: 0 };
  return {
    path: "/v1/snapshots",
    methods: ["POST"],
    handle: async (request, remote) => {
      const ack = new URL(request.url).searchParams.get("ack") ?? "queued";
      if (ack !== "queued" && ack !== "durable") {
        return problem(400, `ack: expected queued or durable, got ${JSON.stringify(ack)}`);
      }
      if (inFlight >= limits.maxConcurrentRequests) {
        return problem(
          503,
          `expected at most ${limits.maxConcurrentRequests} ingest requests at once; retry`,
          { "retry-after": "1" },
        );
      }
      const client = clientAddress(remote);
      const ofClient = perClient.get(client) ?? 0;
      if (ofClient >= limits.maxRequestsPerClient) {
        return problem(
          503,
          `expected at most ${limits.maxRequestsPerClient} ingest requests at once from one ` +
            "client address; retry",
          { "retry-after": "1" },
        );
      }
      inFlight++;
      perClient.set(client, ofClient + 1);
      try {
        // Numbered once its body came whole.
        const input = () => `http:${remote}#${++numbering.last}`;
        return await ingest(context, recorder, request, input, ack, buffers);
      } catch (error) {
        if (error instanceof RequestRefused) {
          return problem(error.status, error.message, error.headers);
        }
        context.logger.error("Ingest request failed: {error}", { error: String(error) });
        return problem(500, "the request could not be recorded; see the service's log");
      } finally {
        inFlight--;
        const left = (perClient.get(client) ?? 1) - 1;
        if (left === 0) perClient.delete(client);
        else perClient.set(client, left);
      }
    },
  };
}

/** The address part of a peer's `host:port` (`[v6]:port` too). */
function clientAddress(remote: string): string {
  const colon = remote.lastIndexOf(":");
  return colon <= 0 ? remote : remote.slice(0, colon);
}

/** Reads, records and answers one ingest request (within the limit of requests at once). */
async function ingest(
  context: ServiceContext,
  recorder: BodyRecorder,
  request: Request,
  nextInput: () => string,
  ack: "queued" | "durable",
  buffers: BodyBuffers,
): Promise<Response> {
  const { limits } = context;
  const type = (request.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  const isArray = type === "application/json";
  // An array body is limited by its element count (when recorded), not by its lines.
  const body = await readBoundedBody(
    request,
    isArray ? { ...limits, maxLines: Infinity } : limits,
    AbortSignal.timeout(limits.bodyTimeoutMs),
    buffers,
  );
  try {
    return await recordBody(context, recorder, body, isArray, nextInput(), ack);
  } finally {
    buffers.give(body); // recorded (or refused): nothing holds it any more
  }
}

/** Records a body read whole and answers for it. */
async function recordBody(
  context: ServiceContext,
  recorder: BodyRecorder,
  body: Uint8Array,
  isArray: boolean,
  input: string,
  ack: "queued" | "durable",
): Promise<Response> {
  const { pipeline, limits } = context;
  const { blocked, rejected, deadLetters } = collectingDeadLetters(context);
  const full = await waitForSinkRoom(
    pipeline.sinks,
    body.length * RECORD_GROWTH,
    limits.backpressureWaitMs,
  );
  if (full !== undefined) {
    return problem(
      503,
      `the sinks' queues are full (${full}); nothing of this request was recorded: retry`,
      { "retry-after": "1" },
    );
  }
  const lostBefore = recordsLetGo(pipeline);
  const result = await recorder.record(body, isArray, input, {
    deadLetters,
    maxLines: limits.maxLines,
    maxLineBytes: limits.maxLineBytes,
    now: context.now,
  });
  context.counters.rejected += result.rejected;
  const answer = {
    accepted: result.snapshots - blocked.length,
    blocked: blocked.map(({ line, reasons, run_id }) => ({ line, run_id, reasons })),
    rejected: rejected.map(({ line, reasons }) => ({ line, reason: reasons[0] })),
    ack,
  };
  // Not queued everywhere: not an answer of 200. What was kept of it is recorded; a retry may
  // record that twice (at least once, never lost).
  const lost = recordsLetGo(pipeline) - lostBefore;
  if (lost > 0) return letGo(answer, lost);
  if (ack === "durable") {
    try {
      await Promise.all(pipeline.sinks.map(({ sink }) => sink.flush()));
    } catch (error) {
      return json(503, { ...answer, error: (error as Error).message }, { "retry-after": "5" });
    }
    // A `drop_oldest` queue may have dropped records of this one while they waited to be
    // written (a flush also ends when what it waits for was dropped).
    const lostMeanwhile = recordsLetGo(pipeline) - lostBefore;
    if (lostMeanwhile > 0) return letGo(answer, lostMeanwhile);
  }
  return json(200, answer);
}
