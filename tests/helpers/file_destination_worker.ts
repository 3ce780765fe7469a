/**
 * A follower worker for tests (`WorkerFollower.open(new URL(import.meta.url), config, log)`): its
 * destination appends each delivered record's run_id, one a line, to `config.out`; it fails every
 * delivery while the file `config.failWhile` exists and waits `config.delayMs` before each one.
 *
 * @module
 */

import { type FollowerWorkerScope, hostFollower } from "../../src/follow/follower_worker_host.ts";
import type { BatchDestination, LoggedRecord } from "../../src/sinks/sink.ts";

/** What the test sends. */
export interface FileDestinationConfig {
  readonly name: string;
  readonly out: string;
  readonly failWhile?: string;
  readonly delayMs?: number;
  readonly chunkBytes?: number;
}

const exists = (path: string) => Deno.stat(path).then(() => true, () => false);

function fileDestination(config: FileDestinationConfig): BatchDestination {
  return {
    name: "file",
    description: `file ${config.out}`,
    async deliver(batch: readonly LoggedRecord[]) {
      if (config.delayMs) await new Promise((r) => setTimeout(r, config.delayMs));
      if (config.failWhile !== undefined && await exists(config.failWhile)) {
        throw new Error("destination down (test)");
      }
      const ids = batch.map(({ record }) => record.snapshot.meta.run_id).join("\n") + "\n";
      await Deno.writeTextFile(config.out, ids, { append: true });
      return { refused: 0 };
    },
    close: () => Promise.resolve(),
    [Symbol.asyncDispose]: () => Promise.resolve(),
  };
}

hostFollower(globalThis as unknown as FollowerWorkerScope, (sent) => {
  const config = sent as FileDestinationConfig;
  return Promise.resolve({
    name: config.name,
    destination: fileDestination(config),
    chunkBytes: config.chunkBytes,
    backoff: { firstMs: 5, maxMs: 20 },
  });
});
