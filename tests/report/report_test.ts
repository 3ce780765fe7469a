import assert from "node:assert/strict";
import { buildPatternRecord, DEFAULT_RECORD_STAMP } from "../../src/contract/pattern_record.ts";
import { join } from "node:path";
import { coarserInterval, ReportCollector } from "../../src/report/report_collector.ts";
import { collectReportData, durationLabel, intervalForSpan } from "../../src/report/report_data.ts";
import { renderReportHtml } from "../../src/report/report_html.ts";
import { fixture } from "../helpers/project.ts";
import { marketSnapshot } from "../helpers/snapshots.ts";
import { tempDir } from "../helpers/temp.ts";

Deno.test("report data: counts, chosen symbols, blocked snapshots and flags", async () => {
  const data = await collectReportData([
    fixture("qts-python-records.jsonl"),
    fixture("python-snapshots.jsonl"),
  ]);
  const summary = Object.fromEntries(data.summary);
  assert.equal(summary.records, "10");
  assert.equal(summary.blocked, "2");
  assert.equal(summary["first event"], "2026-11-26T11:12:32.531Z");
  assert.deepEqual(data.candles.map((c) => [c.symbol, c.count, c.priced]), [
    ["005930", 4, 2],
    ["000660", 2, 2],
    ["한글", 2, 2],
  ]);
  assert.equal(data.interval.seconds, 1, "a span under 5 minutes gives 1 s bars");
  assert.deepEqual(data.coverage.map((c) => [c.symbol, c.count]).slice(0, 2), [
    ["005930", 4],
    ["(none)", 2],
  ]);
  const problems = Object.fromEntries(data.problems.map((p) => [p.label, p.count]));
  assert.equal(problems["blocked by validation"], 2);
  const flags = Object.fromEntries(data.flags.map((p) => [p.label, p.count]));
  assert.equal(flags.NO_STATE, 6);
  assert.equal(data.rate.count.reduce((a, b) => a + b, 0), 10);
  const chosen = await collectReportData([fixture("kis-swing-20260126.jsonl")], {
    symbols: ["000250", "NOPE"],
  });
  assert.deepEqual(
    chosen.candles.map((c) => [c.symbol, c.count, c.open, c.high, c.low, c.close, c.volume]),
    [
      ["000250", 1, [396500], [396500], [396500], [396500], [502611]],
      ["NOPE", 0, [], [], [], [], []],
    ],
  );
});

const MINUTE0 = Date.UTC(2026, 0, 26, 0, 0, 0);

function priced(ms: number, price: number, volume: number, symbol = "005930") {
  const snapshot = marketSnapshot(0, { price, volume });
  const meta = { ...snapshot.meta, timestamp_ms: ms, timestamp: new Date(ms).toISOString() };
  return buildPatternRecord(
    { ...snapshot, meta, context: { ...snapshot.context, symbol } },
    DEFAULT_RECORD_STAMP,
    "x",
  );
}

Deno.test("bars are OHLC by event time whatever the arrival order, and merge exactly", () => {
  const ticks: [number, number][] = [];
  for (let i = 0; i < 600; i++) ticks.push([MINUTE0 + i * 1000, 100 + ((i * 37) % 50)]);
  const shuffled = ticks.map((t, i) => [t, (i * 7919) % 600] as const).sort((a, b) => a[1] - b[1]);
  const collector = new ReportCollector({ maxBarsPerSymbol: 50 });
  for (const [[ms, price]] of shuffled) collector.add(priced(ms, price, 1));
  assert.ok(collector.interval >= 15, `coarsened to ${collector.interval} s`);
  collector.coarsen(60);
  const bars = [...collector.symbols.get("005930")!.bars.entries()].sort((a, b) => a[0] - b[0]);
  assert.equal(bars.length, 10);
  for (const [key, bar] of bars) {
    const inBar = ticks.filter(([ms]) => Math.floor(ms / 60_000) === key).map(([, p]) => p);
    assert.deepEqual(
      [bar.open, bar.high, bar.low, bar.close, bar.records, bar.volumeSum],
      [inBar[0], Math.max(...inBar), Math.min(...inBar), inBar.at(-1), 60, 60],
    );
  }
  assert.equal(coarserInterval(60), 300);
  assert.equal(coarserInterval(604_800), 1_209_600);
  assert.throws(() => new ReportCollector({ interval: 0 }), RangeError);
});

Deno.test("the interval is chosen from the span: at most 300 bars", () => {
  assert.equal(intervalForSpan(0), 1);
  assert.equal(intervalForSpan(299), 1);
  assert.equal(intervalForSpan(300), 5);
  assert.equal(intervalForSpan(6.5 * 3600), 300);
  assert.equal(intervalForSpan(30 * 86_400), 14_400);
  assert.equal(intervalForSpan(10 * 365 * 86_400), 1_209_600);
  assert.equal(intervalForSpan(20 * 365 * 86_400), 2_419_200);
  assert.equal(durationLabel(300), "5 min");
  assert.equal(durationLabel(86_400), "1 day");
  assert.equal(durationLabel(7), "7 s");
});

Deno.test("two files out of order: sorted candles, cumulative volume, coverage and gaps", async () => {
  const dir = await tempDir("report");
  // One trading day of 1 record a minute with a running (day) volume, split across two files
  // whose times interleave; 20 minutes are missing from 02:00.
  const lines: [string, string][] = [];
  let volume = 1000;
  for (let m = 0; m < 390; m++) {
    if (m >= 120 && m < 140) continue;
    volume += 10 + (m % 7);
    const line = JSON.stringify(priced(MINUTE0 + m * 60_000, 70_000 + (m % 13) * 100, volume));
    lines.push([m % 2 === 0 ? "a" : "b", line]);
  }
  const a = join(dir, "a.jsonl");
  const b = join(dir, "b.jsonl");
  await Deno.writeTextFile(
    a,
    lines.filter(([f]) => f === "a").map(([, l]) => l).reverse().join("\n") + "\n",
  );
  await Deno.writeTextFile(b, lines.filter(([f]) => f === "b").map(([, l]) => l).join("\n") + "\n");
  const data = await collectReportData([b, a]);
  assert.equal(data.interval.seconds, 300, "6.5 h → 5 min bars");
  const [candles] = data.candles;
  assert.equal(candles.volumeKind, "cumulative");
  assert.ok(candles.t.every((t, i) => i === 0 || t > candles.t[i - 1]), "bar times ascend");
  assert.equal(candles.t.length, 74, "78 five-minute bars, 4 of them empty");
  // 00:00–00:05: minutes 0..4; the first bar counts the rise within it.
  assert.deepEqual(
    [candles.open[0], candles.high[0], candles.low[0], candles.close[0], candles.volume[0]],
    [70_000, 70_400, 70_000, 70_400, 11 + 12 + 13 + 14],
  );
  const total = candles.volume.reduce((s, v) => s! + v!, 0);
  assert.equal(total, volume - 1010, "volume rises add up to the day's rise after the first");
  const [coverage] = data.coverage;
  assert.equal(coverage.count, 370);
  assert.equal(coverage.first, "2026-01-26T00:00:00.000Z");
  assert.equal(coverage.last, "2026-01-26T06:29:00.000Z");
  assert.equal(coverage.largestGapSeconds, 21 * 60);
  assert.equal(coverage.largestGapAt, "2026-01-26T01:59:00.000Z");
  assert.equal(data.rate.count.reduce((s, n) => s + n, 0), 370);
  const fixed = await collectReportData([a, b], { interval: 3600 });
  assert.equal(fixed.candles[0].t.length, 7);
  assert.equal(fixed.interval.label, "1 h");
});

Deno.test("the page is self-contained and escapes what it shows", async () => {
  const data = await collectReportData([fixture("qts-python-records.jsonl")]);
  const html = renderReportHtml({ ...data, title: "<b>x</b> & </script>", inputs: ["a<b>.jsonl"] });
  assert.ok(html.startsWith("<!doctype html>"));
  assert.ok(html.includes("&#60;b&#62;x&#60;/b&#62; &#38; &#60;/script&#62;"));
  assert.ok(!html.includes("<b>x</b>"));
  const json = /<script id="report-data" type="application\/json">(.*?)<\/script>/s.exec(html)?.[1];
  assert.ok(json !== undefined && !json.includes("</"), "data cannot close its script element");
  assert.equal(JSON.parse(json).title, "<b>x</b> & </script>");
  assert.ok(!/\b(src|href)=["']?https?:/.test(html), "no network resources");
  assert.ok(html.includes(".uplot"), "uPlot's CSS is inlined");
  const flags = /<div id="flags"[^]*?<div class="scale">/.exec(html)?.[0] ?? "";
  assert.match(
    flags,
    /data-label="NO_COMPUTED" data-count="2">.*width:66\.67%.*<span class="num">2<.*data-label="NO_STATE" data-count="3">.*width:100\.00%/s,
  );
});
