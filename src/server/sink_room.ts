/**
 * Room in the sinks' queues for an ingest request, awaited (never polled): a request waits
 * until every queued sink has room for about its records, up to the backpressure bound, and is
 * refused at once when a full sink is failing (it takes nothing until its destination recovers).
 *
 * @module
 */

import type { ConfiguredSink } from "../app/configured_sinks.ts";

/** The room a request of `bytes` needs in a sink: at most half its queue. */
function needed(bytes: number, maxQueueBytes: number): number {
  return Math.min(bytes, maxQueueBytes / 2);
}

/** The sinks whose queues lack room for `bytes` now, and whether one of them is failing. */
function fullSinks(sinks: readonly ConfiguredSink[], bytes: number) {
  const full: { sink: ConfiguredSink; need: number; failing: boolean }[] = [];
  for (const configured of sinks) {
    const s = configured.sink.stats();
    if (s.maxQueueBytes === undefined || s.queuedBytes === undefined) continue;
    const need = needed(bytes, s.maxQueueBytes);
    if (s.maxQueueBytes - s.queuedBytes < need) {
      full.push({ sink: configured, need, failing: s.failing === true });
    }
  }
  return full;
}

const names = (full: { sink: ConfiguredSink }[]) =>
  full.map(({ sink }) => sink.config.name).join(", ");

/**
 * Waits until every sink has room for about `bytes` (at most half its queue), up to `waitMs`.
 * Returns the names of the full sinks when time ran out, or at once when a full sink is failing;
 * undefined when there is room.
 *
 * @example
 * ```ts
 * import { waitForSinkRoom } from "./sink_room.ts";
 * import type { Pipeline } from "../app/pipeline.ts";
 * declare const pipeline: Pipeline;
 * const full = await waitForSinkRoom(pipeline.sinks, 64 * 1024, 2000);
 * ```
 */
export async function waitForSinkRoom(
  sinks: readonly ConfiguredSink[],
  bytes: number,
  waitMs: number,
): Promise<string | undefined> {
  let full = fullSinks(sinks, bytes);
  if (full.length === 0) return undefined;
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), waitMs);
  try {
    while (full.length > 0) {
      if (full.some((f) => f.failing)) return names(full);
      // Each resolves when its sink has room, or is failing while full (seen at the next look).
      await Promise.all(full.map(({ sink, need }) => sink.sink.waitForRoom(need, timeout.signal)));
      // Room came in each at its moment; another request may have taken it since: look again.
      full = fullSinks(sinks, bytes);
    }
    return undefined;
  } catch (error) {
    if (!timeout.signal.aborted) throw error;
    const now = fullSinks(sinks, bytes);
    return names(now.length > 0 ? now : full);
  } finally {
    clearTimeout(timer);
  }
}
