import assert from "node:assert/strict";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { CHROMIUM_FLAGS, chromiumUnavailable, ensureChromium } from "../helpers/chromium.ts";
import { copyProject, fileLines, observerDir } from "../helpers/project.ts";
import { startService } from "../helpers/service.ts";
import { snapshotLine } from "../helpers/snapshot_file.ts";
import { tempDir } from "../helpers/temp.ts";
import {
  SHARED_POSTGRES_URL,
  sharedPostgresUnavailable,
  testClient,
  uniqueTable,
} from "../helpers/postgres.ts";

const TOKEN = "dashboard-token-0123456789";

Deno.test({
  name:
    "serve: the dashboard at / shows, live, what is posted while it is open (headless Chromium)",
  ignore: await chromiumUnavailable() !== undefined,
  async fn() {
    const executablePath = await ensureChromium();
    const root = await copyProject();
    const service = await startService(root, ["--token-env", "QTS_TEST_TOKEN"], {
      QTS_TEST_TOKEN: TOKEN,
    });
    const browser = await chromium.launch({
      executablePath,
      args: CHROMIUM_FLAGS,
    });
    let stopped = false;
    try {
      const page = await browser.newPage({ viewport: { width: 1000, height: 1300 } });
      const problems: string[] = [];
      page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
      page.on("console", (message) => {
        if (message.type() === "error") problems.push(`console: ${message.text()}`);
      });
      const page404: string[] = [];
      page.on("requestfailed", (request) => page404.push(request.url()));
      // The token travels in the fragment, which the browser never sends to the server.
      await page.goto(`${service.base}/#token=${TOKEN}`);
      await page.waitForSelector('body[data-stream="live"]', { timeout: 10_000 });
      assert.equal(new URL(page.url()).hash, "", "the token is taken out of the address bar");

      // Posted after the page opened: 30 good snapshots over 3 symbols, one blocked (NaN price).
      const lines = Array.from({ length: 30 }, (_, i) => snapshotLine(i * 4 + (i % 3)));
      const blocked = snapshotLine(999).replace(/"price":\d+/, '"price":NaN');
      const response = await fetch(`${service.base}/v1/snapshots`, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/x-ndjson" },
        body: [...lines, blocked].join("\n") + "\n",
      });
      const answer = await response.json();
      assert.equal(response.status, 200, JSON.stringify(answer));
      assert.equal(answer.accepted, 30);
      assert.equal(answer.blocked.length, 1);

      // The last price of each symbol, as the page must show it.
      const last = new Map<string, number>();
      for (const line of lines) {
        const s = JSON.parse(line);
        last.set(s.context.symbol, s.observation.inputs.price);
      }
      assert.equal(last.size, 3);
      for (const [symbol, price] of last) {
        await page.waitForSelector(`tr[data-symbol="${symbol}"][data-price="${price}"]`, {
          timeout: 10_000,
        });
      }
      const reason = (answer.blocked[0].reasons[0] as string).split(":")[0];
      await page.waitForSelector(`tr[data-reason="${reason}"][data-count="1"]`, {
        timeout: 10_000,
      });
      await page.waitForSelector('body[data-accepted="30"][data-blocked="1"]', {
        timeout: 10_000,
      });
      // Both charts are drawn by uPlot, and the rate chart has seen the burst.
      assert.equal(await page.locator(".uplot canvas").count(), 2);
      assert.deepEqual(problems, [], "the page logged no errors");
      assert.deepEqual(page404, [], "every request of the page succeeded");

      const png = join(await tempDir("dashboard"), "dashboard.png");
      await page.screenshot({ path: png, fullPage: true });
      const bytes = await Deno.readFile(png);
      assert.deepEqual([...bytes.subarray(1, 4)], [0x50, 0x4e, 0x47], "a PNG was saved");
      console.log(`screenshot: ${png}`);

      await browser.close();
      const stop = await service.stop();
      stopped = true;
      assert.equal(stop.code, 1, stop.stderr); // one snapshot was blocked
      const recorded = await fileLines(join(observerDir(root), "observer.jsonl"));
      assert.equal(recorded.length, 30);
    } finally {
      await browser.close();
      if (!stopped) await service.stop();
    }
  },
});

Deno.test({
  name: "serve: the dashboard shows each follower of the log with its state and lag (headless " +
    "Chromium, a PostgreSQL follower)",
  ignore: await chromiumUnavailable() !== undefined ||
    await sharedPostgresUnavailable() !== undefined,
  async fn() {
    const executablePath = await ensureChromium();
    const root = await copyProject();
    const table = uniqueTable("qts_dash");
    const config = join(root, "followed.json");
    await Deno.writeTextFile(
      config,
      JSON.stringify({
        sinks: [
          { type: "jsonl", file: "dash.jsonl" },
          { type: "postgres", name: "db", url: SHARED_POSTGRES_URL, table },
        ],
      }),
    );
    const service = await startService(root, ["--config", config]);
    const browser = await chromium.launch({ executablePath, args: CHROMIUM_FLAGS });
    const sql = testClient();
    try {
      const page = await browser.newPage();
      await page.goto(service.base);
      const body = Array.from({ length: 20 }, (_, i) => snapshotLine(i)).join("\n") + "\n";
      const posted = await fetch(`${service.base}/v1/snapshots`, { method: "POST", body });
      assert.equal(posted.status, 200, await posted.text());
      await page.waitForSelector(
        'tr[data-follower="db"][data-state="following"][data-behind="0"][data-delivered="20"]',
        {
          timeout: 30_000,
        },
      );
      const row = await page.textContent('tr[data-follower="db"]');
      assert.equal(
        row,
        "dbfollowing0020",
        "name, state, behind 0 records and 0 bytes, 20 delivered",
      );
    } finally {
      await browser.close();
      await service.stop();
      await sql`DROP TABLE IF EXISTS ${sql(table)}`;
      await sql.end();
    }
  },
});
