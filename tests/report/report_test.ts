import assert from "node:assert/strict";
import { buildPatternRecord, DEFAULT_RECORD_STAMP } from "../../src/contract/pattern_record.ts";
import { ReportCollector } from "../../src/report/report_collector.ts";
import { collectReportData } from "../../src/report/report_data.ts";
import { renderReportHtml } from "../../src/report/report_html.ts";
import { fixture } from "../helpers/project.ts";
import { marketSnapshot } from "../helpers/snapshots.ts";

Deno.test("report data: counts, chosen symbols, blocked snapshots and flags", async () => {
  const data = await collectReportData([
    fixture("qts-python-records.jsonl"),
    fixture("python-snapshots.jsonl"),
  ]);
  const summary = Object.fromEntries(data.summary);
  assert.equal(summary.records, "10");
  assert.equal(summary.blocked, "2");
  assert.equal(summary["first event"], "2026-11-26T11:12:32.531Z");
  assert.deepEqual(data.prices.map((p) => [p.symbol, p.count, p.price.length]), [
    ["005930", 4, 2],
    ["(none)", 2, 0],
    ["000660", 2, 2],
    ["한글", 2, 2],
  ]);
  const problems = Object.fromEntries(data.problems.map((p) => [p.label, p.count]));
  assert.equal(problems["blocked by validation"], 2);
  assert.equal(problems["flag NO_STATE"], 6);
  assert.deepEqual(data.perMinute.count, [10]);
  const chosen = await collectReportData([fixture("kis-swing-20260126.jsonl")], {
    symbols: ["000250", "NOPE"],
  });
  assert.deepEqual(chosen.prices.map((p) => [p.symbol, p.count, p.price]), [
    ["000250", 1, [396500]],
    ["NOPE", 0, []],
  ]);
});

Deno.test("long price series are thinned evenly to the point budget", () => {
  const collector = new ReportCollector({ maxPoints: 100 });
  for (let i = 0; i < 1000; i++) {
    collector.add(buildPatternRecord(marketSnapshot(i), DEFAULT_RECORD_STAMP, "x"));
  }
  const series = collector.series.get("005930")!;
  assert.equal(series.count, 1000);
  assert.ok(series.t.length <= 100 && series.t.length >= 50, String(series.t.length));
  const steps = series.t.slice(1).map((t, i) => Math.round((t - series.t[i]) * 1000));
  assert.ok(steps.every((s) => s === steps[0]), "evenly spaced");
  assert.equal(collector.records, 1000);
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
});
