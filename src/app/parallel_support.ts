/**
 * The rule of parallel recording: workers serialize records into the lines of one JSONL file,
 * so a pipeline can record in parallel only when that is all it writes — a single `jsonl` sink
 * taking every record, without size rotation (which cuts between records), with the Observer's
 * default clock. Anything else (more sinks, stdout, PostgreSQL, filters, sampling,
 * `--rotate-bytes`) records on one thread.
 *
 * @module
 */

import type { ObserverConfig } from "../config/config_types.ts";

/**
 * Why the pipeline of `config` and `wiring` cannot record in parallel, or undefined when it can.
 *
 * @example
 * ```ts
 * import { parallelUnsupported } from "./parallel_support.ts";
 * parallelUnsupported({ sinks: [{ type: "jsonl", name: "a", file: "a.jsonl", tuning: {} }] }, {});
 * // => undefined
 * ```
 */
export function parallelUnsupported(
  config: ObserverConfig,
  wiring: { readonly now?: () => number },
): string | undefined {
  const sinks = config.sinks;
  if (sinks.length !== 1) {
    return `expected one sink (a JSONL file), got ${sinks.length} (${
      sinks.map((s) => s.type).join(", ")
    })`;
  }
  const sink = sinks[0];
  if (sink.type !== "jsonl") return `expected a JSONL file sink, got a ${sink.type} sink`;
  if (sink.filter !== undefined || sink.sample !== undefined) {
    return `expected a sink that takes every record, got one with a ${
      sink.filter !== undefined ? "filter" : "sample"
    }`;
  }
  if (sink.tuning.rotation?.maxBytes !== undefined) {
    return "expected no size rotation (--rotate-bytes, rotation.max_bytes), which cuts " +
      "between records";
  }
  // Blocked snapshots dispatched as records (`wiring.dispatchBlocked`, which the service sets
  // for its live stream) reach no file here: a sink that takes them has a filter, refused above.
  if (wiring.now !== undefined) return "expected the Observer's own clock, got a custom one";
  return undefined;
}
