/**
 * The log of a recording: every recording writes its records first to one local JSONL file, and
 * every network sink follows that file from a checkpoint instead of taking records off the bus.
 * This module splits a configuration into the sinks the bus feeds (the log among them) and the
 * followers, and names the log.
 *
 * @module
 */

import type {
  JsonlSinkConfig,
  NatsSinkConfig,
  ObserverConfig,
  PostgresSinkConfig,
  SinkConfig,
} from "../config/config_types.ts";
import type { LogLocation } from "../follow/log_files.ts";
import { mentionsGuard } from "../sinks/record_filter.ts";
import { observerDataDir } from "../paths.ts";

/** The log a recording creates when its configuration has no JSONL sink taking every record. */
export const IMPLICIT_LOG_FILE = "follow-log.jsonl";

/** A sink that follows the log rather than taking records off the bus. */
export type FollowerSinkConfig = PostgresSinkConfig | NatsSinkConfig;

/** True for a sink that follows the log (a network destination: postgres, nats). */
export function followsLog(sink: SinkConfig): sink is FollowerSinkConfig {
  return sink.type === "postgres" || sink.type === "nats";
}

/** How a recording's sinks are laid out around its log. */
export interface RecordingLayout {
  /** The sinks the bus feeds, in configuration order, the implicit log last when there is one. */
  readonly bus: ObserverConfig;
  /** The sinks that follow the log, in configuration order. */
  readonly followers: readonly FollowerSinkConfig[];
  /** The log, when there are followers: the sink of `bus` that writes it. */
  readonly log?: JsonlSinkConfig;
  /** True when the log is {@linkcode IMPLICIT_LOG_FILE}, made for the followers. */
  readonly implicitLog: boolean;
}

/**
 * Splits `config`: the first `jsonl` sink without a filter or sampling is the log; when there is
 * none and some sink follows the log, {@linkcode IMPLICIT_LOG_FILE} is added to the bus (rotated
 * daily, nothing deleted). Refuses a follower whose filter asks for blocked snapshots: the log
 * holds passed records only (blocked ones are in the dead-letter file).
 *
 * @example
 * ```ts
 * import { recordingLayout } from "./recording_log.ts";
 * const layout = recordingLayout({
 *   sinks: [{ type: "postgres", name: "db", url: "postgres://h/db", table: "t", tls: "disable", tuning: {} }],
 * });
 * layout.log?.file; // => "follow-log.jsonl"
 * ```
 */
export function recordingLayout(config: ObserverConfig): RecordingLayout {
  const followers = config.sinks.filter(followsLog);
  const others = config.sinks.filter((s) => !followsLog(s));
  for (const follower of followers) {
    if (follower.filter !== undefined && mentionsGuard(follower.filter)) {
      throw new Error(
        `sink ${follower.name}: a ${follower.type} sink follows the record log, which holds ` +
          "passed records only; expected a filter without guard (blocked snapshots are in the " +
          "dead-letter file, or in a jsonl sink whose filter takes them)",
      );
    }
  }
  const log = others.find((s): s is JsonlSinkConfig =>
    s.type === "jsonl" && s.filter === undefined && s.sample === undefined
  );
  if (followers.length === 0) return { bus: config, followers, log, implicitLog: false };
  if (log !== undefined) {
    return { bus: { ...config, sinks: others }, followers, log, implicitLog: false };
  }
  const implicit: JsonlSinkConfig = {
    type: "jsonl",
    name: "log",
    file: IMPLICIT_LOG_FILE,
    tuning: { rotation: { everyMinutes: 24 * 60 } },
  };
  return {
    bus: { ...config, sinks: [...others, implicit] },
    followers,
    log: implicit,
    implicitLog: true,
  };
}

/**
 * Where the log of a layout lives.
 *
 * @example
 * ```ts
 * import { logLocation } from "./recording_log.ts";
 * logLocation("/srv/qts", { type: "jsonl", name: "a", file: "a.jsonl", tuning: {} });
 * // => { dir: "/srv/qts/data/observer", base: "a" }
 * ```
 */
export function logLocation(root: string, log: JsonlSinkConfig): LogLocation {
  return { dir: observerDataDir(root), base: log.file.slice(0, -".jsonl".length) };
}
