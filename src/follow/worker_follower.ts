/**
 * A follower running in a worker (a second core), as the main thread sees it: the same handle as
 * a `Follower` on this thread ({@linkcode RunningFollower}). Its counters and state arrive by
 * message after every change and are kept here, so `stats()` answers at once (as last reported);
 * `lag()` asks the worker (it knows when it was last at the end of the log), or measures from the
 * last reported position once the worker is gone. The worker inherits the process's permissions
 * and is given nothing more; its log records are emitted here, through this thread's logging.
 *
 * @module
 */

import { emitForwarded, lowestLoggedLevel } from "../log/forwarded_logging.ts";
import type { LogLocation } from "./log_files.ts";
import { DEFAULT_COUNT_LINES_UP_TO, measureLag } from "./follower_lag.ts";
import type { FollowerLag, FollowerStats, RunningFollower } from "./follower_types.ts";
import type { FollowerReply, FollowerRequest } from "./follower_worker_messages.ts";

/** An error thrown in the worker, with its name (`FollowerBusyError`, `CheckpointError`, ...). */
function remoteError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/**
 * The main thread's handle of a follower in a worker.
 *
 * @example
 * ```ts
 * import { WorkerFollower } from "./worker_follower.ts";
 * declare const entry: URL; // a module calling hostFollower
 * const dir = await Deno.makeTempDir();
 * const follower = await WorkerFollower.open(entry, { name: "db" }, { dir, base: "observer" });
 * void follower.run();
 * follower.finish();
 * await follower.run();
 * await follower.close();
 * ```
 */
export class WorkerFollower implements RunningFollower {
  /** Its name. */
  readonly name: string;
  readonly #worker: Worker;
  readonly #log: LogLocation;
  #stats: FollowerStats;
  #caughtUpAt: number | undefined;
  #alive = true;
  readonly #ended = Promise.withResolvers<void>();
  readonly #closed = Promise.withResolvers<void>();
  readonly #lags = new Map<number, PromiseWithResolvers<FollowerLag>>();
  #seq = 0;
  #running = false;

  private constructor(worker: Worker, log: LogLocation, stats: FollowerStats) {
    this.#worker = worker;
    this.#log = log;
    this.#stats = stats;
    this.name = stats.name;
  }

  /**
   * Starts a worker running `entry` (a module that calls `hostFollower`) and opens the follower
   * `config` describes there; throws what opening it threw (a refused login, a busy follower, a
   * bad checkpoint), the worker ended.
   */
  static async open(entry: URL, config: unknown, log: LogLocation): Promise<WorkerFollower> {
    const worker = new Worker(entry, { type: "module", name: "follower" });
    const opened = Promise.withResolvers<FollowerStats>();
    worker.onmessage = ({ data }: MessageEvent<FollowerReply>) => {
      if (data.type === "log") emitForwarded(data.record);
      else if (data.type === "opened") opened.resolve(data.stats);
      else if (data.type === "open_failed") opened.reject(remoteError(data.name, data.message));
    };
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      opened.reject(new Error(`a follower worker crashed while opening: ${event.message}`));
    };
    const request: FollowerRequest = { type: "open", config, log, logLevel: lowestLoggedLevel() };
    worker.postMessage(request);
    let stats: FollowerStats;
    try {
      stats = await opened.promise;
    } catch (error) {
      worker.terminate();
      throw error;
    }
    const follower = new WorkerFollower(worker, log, stats);
    worker.onmessage = (event: MessageEvent<FollowerReply>) => follower.#receive(event.data);
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      follower.#crashed(event.message);
    };
    return follower;
  }

  /** What it writes to. */
  get destination(): string {
    return this.#stats.destination;
  }

  /** Runs until finished or stopped (resolves when the worker says the run ended). */
  run(): Promise<void> {
    if (!this.#running && this.#alive) {
      this.#running = true;
      this.#post({ type: "run" });
    }
    return this.#ended.promise;
  }

  /** Says the log has grown. */
  wake(): void {
    this.#post({ type: "wake" });
  }

  /** Says the log is complete. */
  finish(): void {
    this.#post({ type: "finish" });
  }

  /** Ends the run now; resolves once it ended (its last counters reported). */
  async stop(): Promise<void> {
    this.#post({ type: "stop" });
    if (this.#running) await this.#ended.promise;
  }

  /** Stops, closes the destination, releases the lock, and ends the worker. */
  async close(): Promise<void> {
    await this.stop();
    this.#post({ type: "close" });
    if (this.#alive) await this.#closed.promise;
    this.#end();
  }

  /** Counters and state, as last reported. */
  stats(): FollowerStats {
    return this.#stats;
  }

  /** How far behind the log it is now (lines counted up to `countLinesUpTo` bytes behind). */
  lag(countLinesUpTo = DEFAULT_COUNT_LINES_UP_TO): Promise<FollowerLag> {
    if (!this.#alive) {
      const point = { position: this.#stats.position, caughtUpAt: this.#caughtUpAt };
      return measureLag(this.#log, { ...point, now: Date.now() }, countLinesUpTo);
    }
    const seq = this.#seq++;
    const answer = Promise.withResolvers<FollowerLag>();
    this.#lags.set(seq, answer);
    this.#post({ type: "lag", seq, countLinesUpTo });
    return answer.promise;
  }

  #receive(reply: FollowerReply): void {
    switch (reply.type) {
      case "log":
        return emitForwarded(reply.record);
      case "stats":
        this.#stats = reply.stats;
        this.#caughtUpAt = reply.caughtUpAt;
        return;
      case "ended":
        return this.#ended.resolve();
      case "closed":
        return this.#closed.resolve();
      case "lag": {
        const waiting = this.#lags.get(reply.seq);
        this.#lags.delete(reply.seq);
        if (reply.lag !== undefined) waiting?.resolve(reply.lag);
        else waiting?.reject(new Error(reply.error));
        return;
      }
    }
  }

  #post(request: FollowerRequest): void {
    if (this.#alive) this.#worker.postMessage(request);
  }

  /** The worker died: the run ended, stopped where its checkpoint is. */
  #crashed(message: string): void {
    this.#stats = {
      ...this.#stats,
      state: "stopped",
      lastError: `its worker crashed: ${message}`,
    };
    this.#end();
  }

  #end(): void {
    if (!this.#alive) return;
    this.#alive = false;
    this.#worker.terminate();
    this.#ended.resolve();
    this.#closed.resolve();
    const point = { position: this.#stats.position, caughtUpAt: this.#caughtUpAt };
    for (const waiting of this.#lags.values()) {
      measureLag(this.#log, { ...point, now: Date.now() }).then(waiting.resolve, waiting.reject);
    }
    this.#lags.clear();
  }
}
