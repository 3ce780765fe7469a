/**
 * The flags each command's action receives, apart from the modules that register the commands
 * (`<command>.ts`, loaded at start) and their actions (`<command>_action.ts`, loaded when the
 * command runs), so that both can name them without importing each other.
 *
 * @module
 */

import type { LogLevelName } from "../../log/logging.ts";
import type { GeneratedAtClock } from "../../observer/observer.ts";
import type { InputFormat } from "../../sources/snapshot_inputs.ts";
import type { InputFlags } from "../options.ts";
import type { TlsFlags } from "../serve_options.ts";
import type { CommonFlags } from "../sink_options.ts";

/** The flags of `record`. */
export interface RecordFlags extends CommonFlags, InputFlags {
  /** `--input`: the file to read instead of standard input. */
  input?: string;
}

/** The flags of `replay`. */
export interface ReplayFlags extends CommonFlags, InputFlags {
  /** `--format`: the inputs' format, or `auto`. */
  format: InputFormat;
  /** `--clock`: where `generated_at` comes from. */
  clock: GeneratedAtClock;
  /** `--mode`: `meta.mode` of snapshots made from market archives. */
  mode: string;
}

/** The flags of `inspect`. */
export interface InspectFlags extends InputFlags {
  /** `--json`: print the summary as JSON. */
  json?: boolean;
}

/** The flags of `report`. */
export interface ReportFlags extends InputFlags {
  /** `--out`: the report's file name inside `data/observer`. */
  out: string;
  /** `--symbols`: the symbols to chart. */
  symbols?: string[];
  /** `--interval`: seconds per bar. */
  interval?: number;
  /** `--format`: the inputs' format, or `auto`. */
  format: InputFormat;
  /** `--mode`: `meta.mode` of snapshots made from market archives. */
  mode: string;
}

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

/** The flags of `merge`. */
export interface MergeFlags extends InputFlags {
  /** `--file`: the output file name inside `data/observer` (a new one). */
  file: string;
  /** `--log-level`: lowest level logged to stderr. */
  logLevel: LogLevelName;
}

/** The flags of `consume`. */
export interface ConsumeFlags extends CommonFlags {
  /** `--instance`: this process's name among the consumers. */
  instance: string;
}

/** The flags of `follow`. */
export interface FollowFlags {
  /** `--config`: the configuration file, as typed. */
  config: string;
  /** `--watch`: keep following until a signal. */
  watch?: boolean;
  /** `--instance`: the consume instance whose log to follow. */
  instance?: string;
  /** `--follow-timeout`: without `--watch`, seconds before giving up. */
  followTimeout: number;
  /** `--log-level`: lowest level logged to stderr. */
  logLevel: LogLevelName;
}
