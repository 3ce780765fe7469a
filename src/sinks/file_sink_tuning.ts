/**
 * The tunables of a record file sink (queue, durability, rotation) and their defaults, apart from
 * the sink itself: the configuration and the flags read and print them without opening a file.
 *
 * @module
 */

import type { QueueTuning } from "./batching_queue.ts";
import type { RotationPolicy } from "./rotation.ts";

/** When written bytes are forced to disk: never, about once per interval, or after every batch. */
export const FSYNC_POLICIES = ["none", "interval", "always"] as const;

/** One of {@linkcode FSYNC_POLICIES}. */
export type FsyncPolicy = typeof FSYNC_POLICIES[number];

/**
 * Tunables of a `JsonlFileSink`; every one has a default in {@linkcode SINK_DEFAULTS}
 * (queue: 4 MiB bound, 1 MiB batches, 10 ms interval, `block`).
 */
export interface JsonlFileSinkTuning extends QueueTuning {
  /** Durability policy. Default `interval`. */
  readonly fsync?: FsyncPolicy;
  /** Interval of the `interval` fsync policy. Default 1000 ms. */
  readonly fsyncIntervalMs?: number;
  /** Rotation and retention; off when absent. */
  readonly rotation?: RotationPolicy;
}

/** The defaults of {@linkcode JsonlFileSinkTuning}. */
export const SINK_DEFAULTS = {
  flushBytes: 1024 * 1024,
  flushIntervalMs: 10,
  maxQueueBytes: 4 * 1024 * 1024,
  whenFull: "block",
  fsync: "interval",
  fsyncIntervalMs: 1000,
} as const satisfies Required<Omit<JsonlFileSinkTuning, "rotation">>;

/** `value`, or `fallback` when absent; a RangeError naming `what` unless it is a positive number. */
export function positive(value: number | undefined, fallback: number, what: string): number {
  const chosen = value ?? fallback;
  if (!Number.isFinite(chosen) || chosen <= 0) {
    throw new RangeError(`${what}: expected a positive number, got ${value}`);
  }
  return chosen;
}

/** `rotation` when its numbers are positive and it rotates by time, size or both; else throws. */
export function checkedRotation(rotation: RotationPolicy | undefined): RotationPolicy | undefined {
  if (rotation === undefined) return undefined;
  if (rotation.everyMinutes !== undefined) positive(rotation.everyMinutes, 1, "everyMinutes");
  if (rotation.maxBytes !== undefined) positive(rotation.maxBytes, 1, "maxBytes");
  if (rotation.keep !== undefined) positive(rotation.keep, 1, "keep");
  if (rotation.everyMinutes === undefined && rotation.maxBytes === undefined) {
    throw new RangeError("rotation: expected everyMinutes and/or maxBytes, got neither");
  }
  return rotation;
}
