/**
 * Posting snapshots to a running Observer service (`observer.ts serve`) from TypeScript, as
 * `main.ts --post` does: JSON lines in gzip batches, the bearer token, and retries where the
 * service recorded nothing (503 with `Retry-After`, a refused connection), so every snapshot is
 * recorded exactly once.
 *
 * @module
 */

import type { ObservationSnapshot } from "../contract/snapshot.ts";

/** Options of a {@linkcode SnapshotPoster}. */
export interface SnapshotPosterOptions {
  /** The ingest URL, e.g. `http://127.0.0.1:8089/v1/snapshots`. */
  readonly url: string;
  /** Bearer token, when the service wants one. */
  readonly token?: string;
  /** Snapshots per request. Default 1000. */
  readonly batch?: number;
  /** `queued` (default) or `durable`. */
  readonly ack?: "queued" | "durable";
  /** Attempts per batch before giving up. Default 20. */
  readonly attempts?: number;
  /** Waits between attempts (tests pass a fast one). Default `setTimeout`. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Totals of the service's answers. */
export interface PostTotals {
  /** Requests answered. */
  batches: number;
  /** Snapshots recorded. */
  accepted: number;
  /** Snapshots blocked (in the service's dead-letter file). */
  blocked: number;
  /** Lines rejected. */
  rejected: number;
  /** Attempts sent again. */
  retries: number;
}

/** The service refused a batch for good, or could not be reached. */
export class PostError extends Error {
  /** Makes the error. */
  constructor(message: string) {
    super(message);
    this.name = "PostError";
  }
}

function isConnectionRefused(error: unknown): boolean {
  return error instanceof TypeError &&
    /Connection refused|ECONNREFUSED|os error 111/i.test(String(error.cause ?? error.message));
}

/**
 * Collects snapshots and posts them in batches.
 *
 * @example
 * ```ts
 * import { SnapshotPoster } from "./snapshot_poster.ts";
 * import type { ObservationSnapshot } from "../contract/snapshot.ts";
 * declare const snapshot: ObservationSnapshot;
 * const poster = new SnapshotPoster({ url: "http://127.0.0.1:8089/v1/snapshots" });
 * await poster.onSnapshot(snapshot);
 * const totals = await poster.close();
 * ```
 */
export class SnapshotPoster {
  readonly #options: SnapshotPosterOptions;
  readonly #batch: number;
  #lines: string[] = [];
  /** Totals of the answers so far. */
  readonly totals: PostTotals = { batches: 0, accepted: 0, blocked: 0, rejected: 0, retries: 0 };

  /** Checks the URL; nothing is sent before the first full batch. */
  constructor(options: SnapshotPosterOptions) {
    const url = new URL(options.url);
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new RangeError(`expected an http:// or https:// URL, got ${url.protocol}//...`);
    }
    this.#options = options;
    this.#batch = options.batch ?? 1000;
  }

  /** Queues one snapshot; posts a batch when it is full (and waits for the answer). */
  async onSnapshot(snapshot: ObservationSnapshot): Promise<void> {
    this.#lines.push(JSON.stringify(snapshot));
    if (this.#lines.length >= this.#batch) await this.flush();
  }

  /** Posts what is collected. Throws {@linkcode PostError} when the service refuses it. */
  async flush(): Promise<void> {
    if (this.#lines.length === 0) return;
    const lines = this.#lines;
    this.#lines = [];
    const answer = await this.#post(lines.join("\n") + "\n");
    this.totals.batches++;
    this.totals.accepted += answer.accepted;
    this.totals.blocked += answer.blocked.length;
    this.totals.rejected += answer.rejected.length;
  }

  /** Posts the rest and returns the totals. */
  async close(): Promise<PostTotals> {
    await this.flush();
    return this.totals;
  }

  async #post(
    text: string,
  ): Promise<{ accepted: number; blocked: unknown[]; rejected: unknown[] }> {
    const sleep = this.#options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    const body = new Uint8Array(
      await new Response(new Blob([text]).stream().pipeThrough(new CompressionStream("gzip")))
        .arrayBuffer(),
    );
    const headers: Record<string, string> = {
      "content-type": "application/x-ndjson",
      "content-encoding": "gzip",
    };
    if (this.#options.token !== undefined) headers.authorization = `Bearer ${this.#options.token}`;
    const url = new URL(this.#options.url);
    url.searchParams.set("ack", this.#options.ack ?? "queued");
    let delay = 50;
    const attempts = this.#options.attempts ?? 20;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      let wait = delay;
      try {
        const response = await fetch(url, { method: "POST", body, headers });
        if (response.ok) return await response.json();
        const detail = (await response.text()).slice(0, 500);
        if (response.status !== 503) {
          throw new PostError(`${response.status} from ${this.#options.url}: ${detail.trim()}`);
        }
        const retryAfter = Number(response.headers.get("retry-after"));
        if (Number.isFinite(retryAfter) && retryAfter > 0) wait = retryAfter * 1000;
      } catch (error) {
        if (error instanceof PostError) throw error;
        if (!isConnectionRefused(error)) {
          throw new PostError(`cannot post to ${this.#options.url}: ${(error as Error).message}`);
        }
      }
      if (attempt === attempts) break;
      this.totals.retries++;
      await sleep(wait);
      delay = Math.min(delay * 2, 5000);
    }
    throw new PostError(`${this.#options.url} still refused a batch after ${attempts} attempts`);
  }
}
