import assert from "node:assert/strict";
import { jetstream } from "@nats-io/jetstream";
import { natsServerUnavailable } from "../helpers/nats.ts";
import { withNatsProject } from "../helpers/nats_project.ts";
import { parseFieldsLine, runScript, spawnScript } from "../helpers/project.ts";
import { startPrivateServer, testClient } from "../helpers/postgres.ts";
import { snapshotLine } from "../helpers/snapshot_file.ts";
import { waitFor } from "../helpers/wait.ts";

const unavailable = natsServerUnavailable();
const decoder = new TextDecoder();

Deno.test({
  name: "consume with a PostgreSQL follower through a PostgreSQL outage: the consumer goes on " +
    "acking (the records are in its log), the follower falls behind, and once the database is " +
    "back every snapshot is a row exactly once",
  ignore: unavailable !== undefined,
  async fn(t) {
    const pg = await startPrivateServer();
    if (typeof pg === "string") {
      console.log(`skipped: consume follower outage test: ${pg}`);
      await t.step({ name: "needs a private PostgreSQL server", ignore: true, fn: () => {} });
      return;
    }
    try {
      await withNatsProject(async ({ root, config, net, nc, jsm, streamCreate }) => {
        assert.equal((await streamCreate(net)).code, 0);
        const extraNet = [...net, `127.0.0.1:${pg.port}`];
        const consumer = await spawnScript(root, {
          task: "observer",
          script: "observer.ts",
          args: ["consume", "--config", config, "--instance", "p"],
          extraNet,
        });
        const js = jetstream(nc);
        const publish = async (from: number, to: number) => {
          for (let i = from; i < to; i += 250) {
            await Promise.all(
              Array.from(
                { length: Math.min(250, to - i) },
                (_, k) =>
                  js.publish("qts.snapshots.market.A", snapshotLine(i + k), {
                    msgID: `r${i + k}`,
                  }),
              ),
            );
          }
        };
        const rows = async () => {
          const sql = testClient(pg.url);
          try {
            return (await sql`SELECT count(DISTINCT run_id)::int AS n, count(*)::int AS c
              FROM consumed_rows`)[0];
          } catch {
            return { n: 0, c: 0 };
          } finally {
            await sql.end({ timeout: 1 }).catch(() => {});
          }
        };
        await publish(0, 2_000);
        await waitFor("the first rows", async () => (await rows()).n > 0);
        await pg.stop();
        await publish(2_000, 10_000);
        // Every message is acked while the database is down: the log has the records.
        await waitFor("every message acked", async () => {
          const info = await jsm.consumers.info("QTS_TEST", "observers");
          return info.num_pending === 0 && info.num_ack_pending === 0;
        });
        await pg.start();
        await waitFor("every row", async () => (await rows()).n === 10_000);
        consumer.kill("SIGTERM");
        const output = await consumer.output();
        const stdout = decoder.decode(output.stdout);
        assert.equal(output.code, 0, decoder.decode(output.stderr).slice(-3000));
        assert.deepEqual(await rows(), { n: 10_000, c: 10_000 });
        const db = parseFieldsLine(stdout, "sink db");
        assert.deepEqual([db.state, db.behind], ["finished", "0"], stdout);
        // follow finds the instance's log with --instance (nothing left to deliver), and
        // without it warns that the configuration's own log has no files.
        const again = await runScript(root, {
          task: "observer",
          script: "observer.ts",
          args: ["follow", "--config", config, "--instance", "p"],
          extraNet,
        });
        assert.equal(again.code, 0, again.stderr);
        assert.match(again.stdout, /^follow: log=consumed\.p\.jsonl /m);
        assert.match(parseFieldsLine(again.stdout, "sink db").written, /^0$/);
        const without = await runScript(root, {
          task: "observer",
          script: "observer.ts",
          args: ["follow", "--config", config],
          extraNet,
        });
        assert.match(without.stderr, /the log consumed\.jsonl has no files .*give --instance/);
      }, {
        consumer: { ack_wait_seconds: 5 },
        sinks: [
          { type: "jsonl", file: "consumed.jsonl" },
          { type: "postgres", name: "db", url: pg.url, table: "consumed_rows" },
        ],
      });
    } finally {
      await pg.destroy();
    }
  },
});
