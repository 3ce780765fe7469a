/**
 * `GET /v1/stream`: Server-Sent Events of the records, filtered like a configuration filter;
 * records as written (from the record file) unless blocked snapshots are asked for or no file
 * takes every record (then as accepted, from memory).
 *
 * @module
 */

import { validateFilter } from "../../config/filter_schema.ts";
import { compileFilter, guardActionsOnly, mentionsGuard } from "../../sinks/record_filter.ts";
import { problem } from "../http_answers.ts";
import { STREAM_HUB_LIMITS } from "../record_stream_hub.ts";
import type { ServiceContext } from "../service_context.ts";
import type { Route } from "./route_table.ts";

/** The filter's query parameters as a configuration filter's spec. */
function filterSpec(query: URLSearchParams): Record<string, string | string[]> {
  const spec: Record<string, string | string[]> = {};
  for (const key of new Set(query.keys())) {
    if (key === "last_event_id") continue;
    const values = query.getAll(key);
    spec[key] = values.length === 1 ? values[0] : values;
  }
  return spec;
}

/**
 * The stream route.
 *
 * @example
 * ```ts
 * import { streamRoute } from "./stream.ts";
 * import type { ServiceContext } from "../service_context.ts";
 * declare const context: ServiceContext;
 * const route = streamRoute(context);
 * ```
 */
export function streamRoute(context: ServiceContext): Route {
  const { hub, fileStream } = context;
  const subscribers = () =>
    hub.streamStats().subscribers + (fileStream?.streamStats().subscribers ?? 0);
  return {
    path: "/v1/stream",
    methods: ["GET"],
    handle: (request, remote) => {
      const query = new URL(request.url).searchParams;
      const filter = validateFilter(filterSpec(query));
      if (Array.isArray(filter)) return problem(400, `query: ${filter.join("; ")}`);
      const lastId = request.headers.get("last-event-id") ?? query.get("last_event_id") ??
        undefined;
      const predicate = compileFilter(filter);
      const takesBlocked = mentionsGuard(filter);
      // Records as written, from the record file, unless blocked snapshots are asked for (they
      // are not in it) or no file takes every record: then as accepted, from memory.
      const source = takesBlocked || fileStream === undefined ? hub : fileStream;
      if (!source.hasRoom || subscribers() >= STREAM_HUB_LIMITS.maxSubscribers) {
        return problem(503, "expected fewer stream subscribers; retry", { "retry-after": "5" });
      }
      // A subscriber let go of while it reads nothing gets its connection cut at once.
      const cut = () => context.disconnect(remote);
      const body = source === fileStream
        ? fileStream.subscribe(predicate, lastId, cut)
        : hub.subscribe(
          takesBlocked ? predicate : (r) => r.metadata.guard.action === "PASS" && predicate(r),
          lastId,
          takesBlocked ? guardActionsOnly(filter) : undefined,
        );
      return new Response(body, {
        headers: {
          "content-type": "text/event-stream; charset=utf-8",
          "cache-control": "no-cache",
        },
      });
    },
  };
}
