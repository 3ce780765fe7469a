/**
 * Renders report data as one self-contained HTML page: uPlot (JS and CSS) and the data are
 * inlined, so the file opens anywhere without a network.
 *
 * @module
 */

import { type Coverage, durationLabel, type ReportData } from "./report_data.ts";
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

/**
 * The page script: draws the charts (candles and volume per charted symbol, records per bar) and
 * reports what it drew on `<body>` data attributes; `window.reportCharts` holds the uPlot
 * instances (`{ kind, symbol, u }`) for tests and the console.
 */
const PAGE_SCRIPT = `
"use strict";
const data = JSON.parse(document.getElementById("report-data").textContent);
const width = Math.max(360, Math.min(1100, document.documentElement.clientWidth - 40));
const iv = data.interval.seconds;
const charts = [];
window.reportCharts = charts;
const utc = (ts) => uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC");
const ratio = window.devicePixelRatio || 1;
const fmt = (v) => v == null ? "-" : v.toLocaleString("en-US", { maximumFractionDigits: 6 });
const hidden = (label, stroke) => ({ label, stroke, paths: () => null, points: { show: false },
  value: (u, v) => fmt(v) });
const xAxis = () => ({ label: "time (UTC), bars of " + data.interval.label, labelSize: 22,
  space: 120, size: 48, grid: { stroke: "#eee" } });
const yAxis = (label) => ({ label, labelSize: 22, size: 86, grid: { stroke: "#eee" },
  values: (u, splits) => splits.map((v) => fmt(v)) });
const centres = (t) => t.map((x) => x + iv / 2);
const xScale = (t) => ({ time: true, range: [t[0], t[t.length - 1] + iv] });
function add(container, kind, symbol, opts, series) {
  const u = new uPlot(opts, series, container);
  charts.push({ kind, symbol, u });
  return u;
}
function barWidth(u) {
  return Math.max(1, (u.valToPos(iv, "x", true) - u.valToPos(0, "x", true)) * 0.8);
}
// Bars from zero with their value printed on top when there is room.
function drawBars(u, color) {
  const ctx = u.ctx, xs = u.data[0], ys = u.data[1], w = barWidth(u);
  const y0 = u.valToPos(0, "y", true);
  ctx.save();
  ctx.beginPath();
  ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height);
  ctx.clip();
  ctx.fillStyle = color;
  let shown = 0;
  for (let i = 0; i < xs.length; i++) if (ys[i] != null) shown++;
  const labels = shown <= 60 && w >= 24 * ratio;
  ctx.font = (11 * ratio) + "px system-ui, sans-serif";
  ctx.textAlign = "center";
  for (let i = 0; i < xs.length; i++) {
    if (ys[i] == null) continue;
    const x = u.valToPos(xs[i], "x", true), y = u.valToPos(ys[i], "y", true);
    ctx.fillStyle = color;
    ctx.fillRect(x - w / 2, Math.min(y, y0), w, Math.max(1, Math.abs(y0 - y)));
    if (labels) {
      ctx.fillStyle = "#1d2327";
      ctx.fillText(fmt(ys[i]), x, Math.max(u.bbox.top + 12 * ratio, y - 4 * ratio));
    }
  }
  ctx.restore();
}
function drawCandles(u) {
  const ctx = u.ctx, [xs, o, h, l, c] = u.data, w = Math.min(barWidth(u), 40 * ratio);
  ctx.save();
  ctx.beginPath();
  ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height);
  ctx.clip();
  for (let i = 0; i < xs.length; i++) {
    if (o[i] == null) continue;
    const x = Math.round(u.valToPos(xs[i], "x", true));
    const [yo, yh, yl, yc] = [o[i], h[i], l[i], c[i]].map((v) => u.valToPos(v, "y", true));
    const color = c[i] > o[i] ? "#1a7f37" : c[i] < o[i] ? "#c0392b" : "#555";
    ctx.strokeStyle = color;
    ctx.fillStyle = color;
    ctx.lineWidth = ratio;
    ctx.beginPath();
    ctx.moveTo(x, yh);
    ctx.lineTo(x, yl);
    ctx.stroke();
    ctx.fillRect(x - w / 2, Math.min(yo, yc), w, Math.max(ratio, Math.abs(yc - yo)));
  }
  ctx.restore();
}
const pricesEl = document.getElementById("prices");
for (const s of data.candles) {
  const box = document.createElement("div");
  box.className = "symbol";
  box.dataset.symbol = s.symbol;
  box.dataset.points = String(s.priced);
  box.dataset.candles = String(s.open.filter((v) => v != null).length);
  pricesEl.appendChild(box);
  const title = document.createElement("h3");
  title.textContent = s.symbol + " — " + fmt(s.count) + " records, " + fmt(s.priced) +
    " priced; candles and volume per " + data.interval.label;
  box.appendChild(title);
  if (s.t.length === 0) {
    box.appendChild(document.createTextNode("no records with a price and a valid time"));
    continue;
  }
  const x = centres(s.t);
  const sync = { key: "symbol-" + s.symbol };
  add(box, "candles", s.symbol, {
    width, height: 260, tzDate: utc, cursor: { sync },
    scales: { x: xScale(s.t), y: { range: (u, min, max) => {
      const pad = (max - min) * 0.08 || Math.abs(max) * 0.01 || 1;
      return [min - pad, max + pad];
    } } },
    axes: [xAxis(), yAxis("price")],
    series: [{ value: (u, v) => v == null ? "-" : utc(v - iv / 2).toISOString().slice(0, 19) + "Z" },
      hidden("open", "#777"), hidden("high", "#1a7f37"), hidden("low", "#c0392b"),
      hidden("close", "#1f6fb2")],
    hooks: { draw: [drawCandles] },
  }, [x, s.open, s.high, s.low, s.close]);
  const maxVolume = Math.max(0, ...s.volume.filter((v) => v != null));
  const volumeUnit = "volume / " + data.interval.label;
  if (s.volumeKind === "cumulative") title.textContent += " (volume: rise of the running total)";
  add(box, "volume", s.symbol, {
    width, height: 150, tzDate: utc, cursor: { sync },
    scales: { x: xScale(s.t), y: { range: [0, maxVolume > 0 ? maxVolume * 1.15 : 1] } },
    axes: [xAxis(), yAxis(volumeUnit)],
    series: [{}, hidden("volume", "#6b7fa3")],
    hooks: { draw: [(u) => drawBars(u, "rgba(74,101,150,0.75)")] },
  }, [x, s.volume]);
}
const rateEl = document.getElementById("rate");
if (data.rate.t.length > 0) {
  const maxRate = Math.max(...data.rate.count);
  add(rateEl, "rate", null, {
    width, height: 220, tzDate: utc,
    scales: { x: xScale(data.rate.t), y: { range: [0, maxRate * 1.15] } },
    axes: [xAxis(), yAxis("records / " + data.interval.label)],
    series: [{}, hidden("records", "#2c8a4b")],
    hooks: { draw: [(u) => drawBars(u, "rgba(44,138,75,0.7)")] },
  }, [centres(data.rate.t), data.rate.count]);
} else {
  rateEl.textContent = "no records with a valid event time";
}
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

/** Horizontal bars, each from zero on the panel's own scale, with the count written beside. */
function countPanel(id: string, rows: { label: string; count: number }[], empty: string): string {
  if (rows.length === 0) return `<div id="${id}" class="counts"><p>${escapeHtml(empty)}</p></div>`;
  const max = Math.max(1, ...rows.map((r) => r.count));
  const bars = rows.map((r) => {
    const width = (100 * r.count / max).toFixed(2);
    return `<div class="hbar" data-label="${escapeHtml(r.label)}" data-count="${r.count}">` +
      `<span class="label">${escapeHtml(r.label)}</span>` +
      `<span class="track"><span class="fill" style="width:${width}%"></span></span>` +
      `<span class="num">${r.count.toLocaleString("en-US")}</span></div>`;
  }).join("\n");
  return `<div id="${id}" class="counts" data-max="${max}">${bars}` +
    `<div class="scale">scale: 0 to ${max.toLocaleString("en-US")} records</div></div>`;
}

function coverageTable(data: ReportData): string {
  const gap = (c: Coverage) =>
    c.largestGapSeconds === null
      ? "-"
      : c.largestGapBelowInterval
      ? `&lt; ${escapeHtml(data.interval.label)}`
      : `${escapeHtml(durationLabel(c.largestGapSeconds))} from ${
        escapeHtml(c.largestGapAt ?? "")
      }`;
  const rows = data.coverage.map((c) =>
    `<tr data-symbol="${escapeHtml(c.symbol)}" data-count="${c.count}" ` +
    `data-gap-seconds="${c.largestGapSeconds ?? ""}"><td>${escapeHtml(c.symbol)}</td>` +
    `<td class="n">${c.count}</td><td class="n">${c.priced}</td>` +
    `<td>${escapeHtml(c.first ?? "-")}</td><td>${escapeHtml(c.last ?? "-")}</td>` +
    `<td class="n">${c.bars} of ${c.barsSpanned}</td><td>${gap(c)}</td></tr>`
  ).join("\n");
  const more = data.coverageOmitted > 0
    ? `<p>${data.coverageOmitted} more symbols with fewer records are not listed.</p>`
    : "";
  return `<table id="coverage"><thead><tr><th>symbol</th><th>records</th><th>priced</th>` +
    `<th>first (UTC)</th><th>last (UTC)</th><th>bars with records (${
      escapeHtml(data.interval.label)
    })</th><th>largest gap</th></tr></thead><tbody>${rows}</tbody></table>${more}`;
}

/**
 * The report as a complete HTML document.
 *
 * @example
 * ```ts
 * import { renderReportHtml } from "./report_html.ts";
 * import { type Coverage, durationLabel, type ReportData } from "./report_data.ts";
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
.chart, .symbol { margin: 8px 0 16px; } h3 { font-size: 14px; margin: 16px 0 4px; }
td.n { text-align: right; } .note { color: #8a5a00; }
.counts { max-width: 900px; } .hbar { display: flex; align-items: center; gap: 10px; margin: 3px 0; }
.hbar .label { flex: 0 0 220px; overflow-wrap: anywhere; }
.hbar .track { flex: 1 1 auto; background: #f1f1f1; height: 16px; }
.hbar .fill { display: block; height: 100%; background: #b23b1f; }
#flags .fill { background: #8a6d1f; } .hbar .num { flex: 0 0 90px; font-variant-numeric: tabular-nums; }
.scale { color: #666; font-size: 12px; }
</style>
</head>
<body>
<h1>${escapeHtml(data.title)}</h1>
<ul>${inputs}</ul>
<h2>Summary</h2>
<table id="summary">${rows}</table>
<h2>Candles and volume per ${escapeHtml(data.interval.label)}</h2>
${data.interval.note === null ? "" : `<p class="note">${escapeHtml(data.interval.note)}</p>`}
<div id="prices"></div>
<h2>Records per ${escapeHtml(data.interval.label)}</h2>
<div id="rate" class="chart"></div>
<h2>Coverage and gaps per symbol</h2>
${coverageTable(data)}
<h2>Blocked and rejected</h2>
${countPanel("problems", data.problems, "nothing blocked or rejected")}
<h2>Quality flags (records per flag)</h2>
${countPanel("flags", data.flags, "no quality flags")}
<script id="report-data" type="application/json">${scriptJson(data)}</script>
${UPLOT_NOTICE}
<script>${UPLOT_SCRIPT}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}
