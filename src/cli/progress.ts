/**
 * A progress bar on stderr for long reads (cli-progress). It appears only when stderr is a
 * terminal and the input is large or the work has already taken a while; otherwise nothing extra
 * is printed.
 *
 * @module
 */

import cliProgress from "cli-progress";
import process from "node:process";

/** Receives progress; `stop()` removes the bar. */
export interface Progress {
  /** Adds `bytes` read. */
  add(bytes: number): void;
  /** Finishes the bar, if one is shown. */
  stop(): void;
}

/** Options of {@linkcode startProgress}. */
export interface ProgressOptions {
  /** Shown before the bar, e.g. `replay`. */
  readonly label: string;
  /** Bytes expected in all (the input files' sizes). */
  readonly totalBytes: number;
  /** True when stderr is a terminal; false prints nothing. */
  readonly enabled: boolean;
  /** Work time before the bar appears. Default 2000 ms. */
  readonly delayMs?: number;
  /** Inputs at least this large show the bar from the start. Default 64 MiB. */
  readonly minBytes?: number;
  /** Clock, for tests. Default `performance.now`. */
  readonly now?: () => number;
  /** Where the bar is drawn. Default `process.stderr`. */
  readonly stream?: NodeJS.WritableStream;
}

/** A progress sink that does nothing (stderr is not a terminal). */
export const NO_PROGRESS: Progress = { add() {}, stop() {} };

/**
 * Starts tracking progress; the bar is drawn at once for inputs of `minBytes` or more, else once
 * `delayMs` have passed with work left.
 *
 * @example
 * ```ts
 * import { startProgress } from "./progress.ts";
 * declare const totalBytes: number;
 * const progress = startProgress({ label: "inspect", totalBytes, enabled: Deno.stderr.isTerminal() });
 * // ... progress.add(chunk.length) as bytes are read ...
 * progress.stop();
 * ```
 */
export function startProgress(options: ProgressOptions): Progress {
  if (!options.enabled) return NO_PROGRESS;
  const now = options.now ?? (() => performance.now());
  const started = now();
  const delay = options.delayMs ?? 2000;
  const large = options.totalBytes >= (options.minBytes ?? 64 * 1024 * 1024);
  let done = 0;
  let bar: cliProgress.SingleBar | undefined;
  return {
    add(bytes) {
      done += bytes;
      if (bar === undefined) {
        if ((!large && now() - started < delay) || done >= options.totalBytes) return;
        bar = new cliProgress.SingleBar({
          stream: options.stream ?? process.stderr,
          format: `${options.label} [{bar}] {percentage}% | {value}/{total} MiB | eta {eta}s`,
          hideCursor: true,
          clearOnComplete: false,
        }, cliProgress.Presets.shades_classic);
        bar.start(toMiB(options.totalBytes), toMiB(done));
        return;
      }
      bar.update(toMiB(done));
    },
    stop() {
      bar?.update(toMiB(done));
      bar?.stop();
    },
  };
}

function toMiB(bytes: number): number {
  return Math.round(bytes / 1024 / 1024 * 10) / 10;
}
