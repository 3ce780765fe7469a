import assert from "node:assert/strict";
import { join } from "node:path";
import { chromium, type Page } from "playwright-core";
import { buildPatternRecord, DEFAULT_RECORD_STAMP } from "../../src/contract/pattern_record.ts";
import { collectReportData, type ReportDataOptions } from "../../src/report/report_data.ts";
import { renderReportHtml } from "../../src/report/report_html.ts";
import { CHROMIUM_FLAGS, chromiumUnavailable, ensureChromium } from "../helpers/chromium.ts";
import { copyProject, fixture, observerDir, runScript } from "../helpers/project.ts";
import { marketSnapshot } from "../helpers/snapshots.ts";
import { tempDir } from "../helpers/temp.ts";

/** What one uPlot chart of the page holds, read back from the live instance. */
interface DrawnChart {
  kind: "candles" | "volume" | "rate";
  symbol: string | null;
  x: number[];
  series: (number | null)[][];
  yMin: number;
  yMax: number;
  xMin: number;
  xMax: number;
  xLabels: { text: string; left: number; right: number }[];
}

/**
 * Runs in the page: the uPlot instances' data and scales, and the x-axis labels uPlot painted
 * (its `_splits` and `_values`) with the horizontal extent of each, in CSS pixels.
 */
const READ_CHARTS = `window.reportCharts.map(({ kind, symbol, u }) => {
  const axis = u.axes[0];
  const ctx = u.ctx;
  ctx.save();
  ctx.font = axis.font[0];
  const ratio = window.devicePixelRatio || 1;
  const labels = axis._values.map((text, i) => {
    const width = Math.max(...String(text).split("\\n").map((l) => ctx.measureText(l).width)) / ratio;
    const at = u.valToPos(axis._splits[i], "x");
    return { text: String(text), left: at - width / 2, right: at + width / 2 };
  }).filter((l) => l.text !== "" && l.text !== "null");
  ctx.restore();
  return {
    kind,
    symbol,
    x: [...u.data[0]],
    series: u.data.slice(1).map((s) => [...s]),
    yMin: u.scales.y.min,
    yMax: u.scales.y.max,
    xMin: u.scales.x.min,
    xMax: u.scales.x.max,
    xLabels: labels,
  };
})`;

async function drawnCharts(page: Page): Promise<DrawnChart[]> {
  return await page.evaluate(READ_CHARTS) as DrawnChart[];
}

async function render(
  browserPage: Page,
  paths: string[],
  out: string,
  options: ReportDataOptions = {},
): Promise<DrawnChart[]> {
  const data = await collectReportData(paths, options);
  await Deno.writeTextFile(out, renderReportHtml(data));
  await browserPage.goto(`file://${out}`);
  await browserPage.waitForSelector("body[data-charts-rendered]", { timeout: 10_000 });
  const body = await browserPage.evaluate("({ ...document.body.dataset })") as Record<
    string,
    string
  >;
  assert.equal(body.canvasesPainted, body.chartsRendered, "every chart painted something");
  return await drawnCharts(browserPage);
}

function ascending(xs: number[]): boolean {
  return xs.every((x, i) => i === 0 || x > xs[i - 1]);
}

/** Bars charts: the scale starts at zero and holds the tallest bar. */
function assertBarsFromZero(chart: DrawnChart): void {
  assert.equal(chart.yMin, 0, `${chart.kind} ${chart.symbol}: bars start at 0`);
  const max = Math.max(...chart.series[0].filter((v) => v !== null) as number[]);
  assert.ok(chart.yMax >= max, `${chart.kind}: the tallest bar fits (${chart.yMax} >= ${max})`);
}

/** The time labels of the x axis are apart: at least 8 px between neighbours. */
function assertLabelsApart(chart: DrawnChart): void {
  const labels = chart.xLabels;
  assert.ok(labels.length >= 2, `${chart.kind}: time labels drawn: ${JSON.stringify(labels)}`);
  for (let i = 1; i < labels.length; i++) {
    assert.ok(
      labels[i].left - labels[i - 1].right >= 8,
      `${chart.kind}: labels "${labels[i - 1].text}" and "${labels[i].text}" overlap`,
    );
  }
}

const MINUTE0 = Date.UTC(2026, 0, 26, 0, 0, 0);

function recordLine(ms: number, symbol: string, price: number, volume: number): string {
  const snapshot = marketSnapshot(0, { price, volume });
  return JSON.stringify(buildPatternRecord(
    {
      ...snapshot,
      meta: { ...snapshot.meta, timestamp_ms: ms, timestamp: new Date(ms).toISOString() },
      context: { ...snapshot.context, symbol },
    },
    DEFAULT_RECORD_STAMP,
    "x",
  ));
}

/**
 * Copies this run's screenshots and pages to `$TMPDIR/qts-report-shots`, replacing an earlier
 * run's (kept after the run to look at; never piles up). When another run replaces it at the same
 * moment, that run's copy is the one kept.
 */
async function keepShots(from: string): Promise<string> {
  const kept = join(Deno.env.get("TMPDIR") ?? "/tmp", "qts-report-shots");
  const staged = await Deno.makeTempDir({ prefix: "qts-report-shots-" });
  for await (const entry of Deno.readDir(from)) {
    if (entry.isFile) await Deno.copyFile(join(from, entry.name), join(staged, entry.name));
  }
  await Deno.remove(kept, { recursive: true }).catch(() => {});
  await Deno.rename(staged, kept).catch(() => Deno.remove(staged, { recursive: true }));
  return kept;
}

Deno.test({
  name: "report in Chromium: candles, volume and rate bars from zero, sorted across two files, " +
    "for the KIS fixture replayed and for a two-file merge (screenshots saved)",
  ignore: await chromiumUnavailable() !== undefined,
  async fn() {
    const executablePath = await ensureChromium();
    // This run's own folder (two suites at once must not share one); copied at the end to one
    // folder a person can look at, which each run replaces.
    const shots = await tempDir("report-shots");
    const root = await copyProject();
    const archive = join(root, "kis-swing-20260126.jsonl");
    await Deno.copyFile(fixture("kis-swing-20260126.jsonl"), archive);
    const replay = await runScript(root, {
      task: "observer",
      script: "observer.ts",
      cwd: root,
      args: [
        "replay",
        "--clock",
        "snapshot",
        "--file",
        "kis.jsonl",
        archive,
      ],
    });
    assert.equal(replay.code, 0, replay.stderr);
    const kisRecords = join(observerDir(root), "kis.jsonl");
    const replayed = new Map<string, { close: number; volume: number }>();
    for (const line of (await Deno.readTextFile(kisRecords)).trim().split("\n")) {
      const record = JSON.parse(line);
      replayed.set(record.snapshot.context.symbol, {
        close: record.snapshot.observation.inputs.price,
        volume: record.snapshot.observation.inputs.volume,
      });
    }
    assert.equal(replayed.size, 1512);

    // Two files whose times interleave and run backwards in one of them; three symbols of very
    // different activity; 20 minutes missing in the busiest.
    const dir = await tempDir("report-merge");
    const a: string[] = [];
    const b: string[] = [];
    let running = 1_000;
    for (let m = 0; m < 390; m++) {
      if (m >= 120 && m < 140) continue;
      running += 10 + (m % 7);
      (m % 2 === 0 ? a : b).push(
        recordLine(MINUTE0 + m * 60_000, "005930", 70_000 + (m % 13) * 100, running),
      );
      if (m % 10 === 0) {
        (m % 20 === 0 ? b : a).push(
          recordLine(MINUTE0 + m * 60_000 + 500, "000660", 150_000 - m, 7),
        );
      }
    }
    const fileA = join(dir, "a.jsonl");
    const fileB = join(dir, "b.jsonl");
    await Deno.writeTextFile(fileA, a.reverse().join("\n") + "\n");
    await Deno.writeTextFile(fileB, b.join("\n") + "\n");

    const browser = await chromium.launch({ executablePath, args: CHROMIUM_FLAGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const problems: string[] = [];
      page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
      page.on("console", (m) => {
        if (m.type() === "error" || m.type() === "warning") problems.push(`console: ${m.text()}`);
      });

      // The KIS fixture: one record per symbol within 24 ms → 1 s bars, one candle each,
      // open = high = low = close = the recorded price, volume as recorded.
      const kisCharts = await render(page, [kisRecords], join(shots, "kis.html"), {
        symbols: ["000250", "005930", "000660"],
      });
      assert.deepEqual(kisCharts.map((c) => `${c.kind} ${c.symbol}`), [
        "candles 000250",
        "volume 000250",
        "candles 005930",
        "volume 005930",
        "candles 000660",
        "volume 000660",
        "rate null",
      ]);
      for (const chart of kisCharts.filter((c) => c.kind === "candles")) {
        const { close } = replayed.get(chart.symbol!)!;
        assert.equal(chart.x.length, 1, `${chart.symbol}: one candle`);
        assert.deepEqual(chart.series.map((s) => s[0]), [close, close, close, close]);
        assert.ok(chart.yMin < close && chart.yMax > close, "the candle is inside the price scale");
      }
      for (const chart of kisCharts.filter((c) => c.kind === "volume")) {
        assert.deepEqual(chart.series[0], [replayed.get(chart.symbol!)!.volume]);
        assertBarsFromZero(chart);
      }
      const kisRate = kisCharts.at(-1)!;
      assertBarsFromZero(kisRate);
      assert.deepEqual(kisRate.series[0], [1512], "all 1,512 records in one 1 s bar");
      assert.equal(
        await page.locator('#coverage tr[data-symbol="000250"] td').nth(6).textContent(),
        "-",
        "a symbol with one record has no gap",
      );
      await page.screenshot({ path: join(shots, "kis.png"), fullPage: true });

      // The two-file merge: 6.5 h → 5 min bars, sorted by time whatever the file order.
      const merged = await render(page, [fileA, fileB], join(shots, "merge.html"));
      const byKey = new Map(merged.map((c) => [`${c.kind} ${c.symbol}`, c]));
      assert.deepEqual([...byKey.keys()], [
        "candles 005930",
        "volume 005930",
        "candles 000660",
        "volume 000660",
        "rate null",
      ]);
      for (const chart of merged) {
        assert.ok(ascending(chart.x), `${chart.kind} ${chart.symbol}: x ascends (no line back)`);
        assert.ok(chart.xMin <= chart.x[0] && chart.xMax >= chart.x.at(-1)!, "every bar in view");
        assertLabelsApart(chart);
        if (chart.kind !== "candles") assertBarsFromZero(chart);
      }
      const candles = byKey.get("candles 005930")!;
      assert.equal(candles.x.length, 74, "78 five-minute bars less the 4 empty ones");
      assert.equal(candles.x[0], MINUTE0 / 1000 + 150, "x is the bar's middle");
      const [open, high, low, close] = candles.series;
      assert.deepEqual([open[0], high[0], low[0], close[0]], [70_000, 70_400, 70_000, 70_400]);
      // 01:55–02:00 holds minutes 115..119, then nothing until 02:20.
      const at = candles.x.indexOf(MINUTE0 / 1000 + 115 * 60 + 150);
      assert.equal(candles.x[at + 1], MINUTE0 / 1000 + 140 * 60 + 150, "the gap has no bars");
      assert.deepEqual(
        [open[at], high[at], low[at], close[at]],
        [70_000 + (115 % 13) * 100, 71_200, 70_000, 70_000 + (119 % 13) * 100],
      );
      const volume = byKey.get("volume 005930")!.series[0];
      assert.equal(volume[1], [5, 6, 7, 8, 9].reduce((s, m) => s + 10 + (m % 7), 0));
      const rate = byKey.get("rate null")!;
      assert.equal(
        rate.series[0].reduce((s, n) => s! + n!, 0),
        370 + 37,
        "every record of both files, 2 of 000660 fall in the gap too",
      );
      assert.equal(rate.series[0][0], 5 + 1, "first 5 minutes: 5 of one symbol, 1 of the other");
      const gap = await page.locator('#coverage tr[data-symbol="005930"]').getAttribute(
        "data-gap-seconds",
      );
      assert.equal(gap, String(21 * 60), "the largest gap is the 20 missing minutes (+1)");
      // Counts of very different size: each panel has its own scale from zero, numbers shown.
      const counts = await page.locator("#problems .hbar .num").allTextContents();
      assert.deepEqual(counts, ["0", "0", "0", "0", "0"], "the numbers are written on the bars");
      await page.screenshot({ path: join(shots, "merge.png"), fullPage: true });

      assert.deepEqual(problems, [], "the page logged no errors");
      for (const name of ["kis.png", "merge.png"]) {
        const bytes = await Deno.readFile(join(shots, name));
        assert.deepEqual([...bytes.subarray(1, 4)], [0x50, 0x4e, 0x47], "a PNG was saved");
      }
      const kept = await keepShots(shots);
      console.log(`screenshots: ${join(kept, "kis.png")}, ${join(kept, "merge.png")}`);
    } finally {
      await browser.close();
    }
  },
});
