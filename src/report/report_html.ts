/**
 * Renders report data as one self-contained HTML page: uPlot (JS and CSS) and the data are
 * inlined, so the file opens anywhere without a network.
 *
 * @module
 */

import type { ReportData } from "./report_data.ts";
import { UPLOT_NOTICE, UPLOT_SCRIPT, UPLOT_STYLE } from "./uplot_assets.ts";

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON safe inside a `<script>` element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(
    /\u2028|\u2029/g,
    (c) => c === "\u2028" ? "\\u2028" : "\\u2029",
  );
}

/** The page script: draws the charts and reports what it drew on `<body>` data attributes. */
const PAGE_SCRIPT = `
"use strict";
const data = JSON.parse(document.getElementById("report-data").textContent);
const width = Math.min(1100, document.documentElement.clientWidth - 40);
const charts = [];
const utc = (ts) => uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC");
function add(container, opts, series) {
  const u = new uPlot(opts, series, container);
  container.dataset.points = String(series[0].length);
  charts.push(u);
}
const pricesEl = document.getElementById("prices");
for (const s of data.prices) {
  const box = document.createElement("div");
  box.className = "chart";
  box.dataset.symbol = s.symbol;
  pricesEl.appendChild(box);
  const single = s.t.length === 1;
  add(box, {
    title: s.symbol + " — price (" + s.count + " records)",
    width, height: 220, tzDate: utc,
    scales: { x: { time: true, range: single ? [s.t[0] - 60, s.t[0] + 60] : undefined },
      y: { range: single ? [s.price[0] * 0.95, s.price[0] * 1.05] : undefined } },
    axes: [{}, { size: 80 }],
    series: [{}, { label: "price", stroke: "#1f6fb2", width: 1.5, points: { show: s.t.length < 60 } }],
  }, [s.t, s.price]);
}
const minuteEl = document.getElementById("per-minute");
add(minuteEl, {
  title: "records per minute (UTC)", width, height: 200, tzDate: utc,
  scales: { x: { time: true, range: data.perMinute.t.length === 1
    ? [data.perMinute.t[0] - 300, data.perMinute.t[0] + 300] : undefined } },
  axes: [{}, { size: 80 }],
  series: [{}, { label: "records", stroke: "#2c8a4b", fill: "rgba(44,138,75,0.35)",
    paths: uPlot.paths.bars({ size: [0.9, 40] }), points: { show: false } }],
}, [data.perMinute.t, data.perMinute.count]);
const problemsEl = document.getElementById("problems");
const labels = data.problems.map((p) => p.label);
add(problemsEl, {
  title: "blocked, rejected and flagged", width, height: 220,
  scales: { x: { time: false, range: [-0.5, labels.length - 0.5] } },
  axes: [{ values: (u, splits) => splits.map((i) => Number.isInteger(i) ? (labels[i] ?? "") : ""),
    space: 20, size: 60 }, { size: 80 }],
  series: [{}, { label: "count", stroke: "#b23b1f", fill: "rgba(178,59,31,0.35)",
    paths: uPlot.paths.bars({ size: [0.6, 80] }), points: { show: false } }],
}, [labels.map((_, i) => i), data.problems.map((p) => p.count)]);
// uPlot paints on the next frame; then count the canvases that have pixels on them.
requestAnimationFrame(() => setTimeout(() => {
  let painted = 0;
  for (const canvas of document.querySelectorAll("canvas")) {
    const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) { painted++; break; }
  }
  document.body.dataset.canvasesPainted = String(painted);
  document.body.dataset.chartsRendered = String(charts.length);
}, 0));
`;

/**
 * The report as a complete HTML document.
 *
 * @example
 * ```ts
 * import { renderReportHtml } from "./report_html.ts";
 * import type { ReportData } from "./report_data.ts";
 * import { outputFilePath } from "../paths.ts";
 * declare const root: string;
 * declare const data: ReportData;
 * await Deno.writeTextFile(outputFilePath(root, "report.html", ".html"), renderReportHtml(data));
 * ```
 */
export function renderReportHtml(data: ReportData): string {
  const rows = data.summary.map(([k, v]) =>
    `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`
  ).join("\n");
  const inputs = data.inputs.map((i) => `<li><code>${escapeHtml(i)}</code></li>`).join("");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(data.title)}</title>
<style>${UPLOT_STYLE}</style>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 20px; color: #1d2327; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 28px; }
table { border-collapse: collapse; } th, td { padding: 3px 12px; border-bottom: 1px solid #ddd; text-align: left; }
.chart { margin: 8px 0 16px; }
</style>
</head>
<body>
<h1>${escapeHtml(data.title)}</h1>
<ul>${inputs}</ul>
<h2>Summary</h2>
<table id="summary">${rows}</table>
<h2>Price over time</h2>
<div id="prices"></div>
<h2>Records per minute</h2>
<div id="per-minute" class="chart"></div>
<h2>Blocked, rejected and flagged</h2>
<div id="problems" class="chart"></div>
<script id="report-data" type="application/json">${scriptJson(data)}</script>
${UPLOT_NOTICE}
<script>${UPLOT_SCRIPT}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}
