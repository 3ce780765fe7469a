import assert from "node:assert/strict";
import { join } from "node:path";
import { finishFollowers, openFollowers } from "../../src/app/followers.ts";
import { logLocation, recordingLayout } from "../../src/app/recording_log.ts";
import { loadConfig } from "../../src/config/load_config.ts";
import { Follower } from "../../src/follow/follower.ts";
import { NATS_STREAM_DEFAULTS } from "../../src/nats/settings.ts";
import { natsServerUnavailable, storedMessageIds, withStream } from "../helpers/nats.ts";
import { recordLines, runIds } from "../helpers/record_lines.ts";
import { tempDir } from "../helpers/temp.ts";

const unavailable = natsServerUnavailable();

const STREAM = { ...NATS_STREAM_DEFAULTS, subjects: ["qts.>"] };

/** A project root holding a log of `n` records and the followers of a config with a nats sink. */
async function natsFollowing(url: string, n: number) {
  const root = await tempDir();
  await Deno.mkdir(join(root, "data", "observer"), { recursive: true });
  await Deno.writeTextFile(join(root, "data", "observer", "observer.jsonl"), recordLines(0, n));
  const configPath = join(root, "follow.json");
  await Deno.writeTextFile(
    configPath,
    JSON.stringify({
      sinks: [{ type: "jsonl", file: "observer.jsonl" }, {
        type: "nats",
        name: "bus",
        servers: [url],
      }],
    }),
  );
  const layout = recordingLayout(await loadConfig(configPath));
  return { followers: layout.followers, log: logLocation(root, layout.log!) };
}

Deno.test({
  name: "followers on this thread (observer.ts follow): a nats follower delivers the whole log " +
    "without a worker, and a second one of the same log is refused as busy, its lock kept",
  ignore: unavailable !== undefined,
  async fn() {
    await withStream(STREAM, async ({ server, jsm }) => {
      const { followers, log } = await natsFollowing(server.url, 300);
      const running = await openFollowers(followers, log, { onThisThread: true });
      assert.equal(running.length, 1);
      assert.ok(running[0] instanceof Follower, "the follower runs on this thread");
      await assert.rejects(
        openFollowers(followers, log, { onThisThread: true }),
        (error: Error) => error.name === "FollowerBusyError" && /follower bus/.test(error.message),
      );
      const [summary] = await finishFollowers(running, log.base, 20_000);
      assert.equal(summary.delivered, 300);
      assert.equal(summary.state, "finished");
      assert.equal(summary.lag.bytes, 0);
      assert.deepEqual(await storedMessageIds(jsm, STREAM.name), runIds(0, 300));
    });
  },
});
