/**
 * The live dashboard of `observer.ts serve` (`GET /`): one self-contained page (uPlot and the
 * page's script inlined, nothing fetched from elsewhere) showing records per second by outcome,
 * bytes queued in the sinks, the followers' lag, the last price per symbol and the blocked
 * reasons, updated from `/v1/status` and the record stream.
 *
 * @module
 */

import { inlineScript, UPLOT_NOTICE, UPLOT_SCRIPT, UPLOT_STYLE } from "../report/uplot_assets.ts";
import dashboardJs from "./dashboard.js" with { type: "text" };
import { createHash } from "node:crypto";

let page: string | undefined;
let policy: string | undefined;

/** `'sha256-…'` of the text of each `<tag>…</tag>` element in `html`. */
function inlineHashes(html: string, tag: "script" | "style"): string[] {
  const hashes: string[] = [];
  const pattern = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, "g");
  for (const [, text] of html.matchAll(pattern)) {
    hashes.push(`'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`);
  }
  return hashes;
}

/**
 * The dashboard's `Content-Security-Policy`: nothing but the page's own inline scripts and
 * styles (by their hashes) and requests to its own origin; no framing, no `<base>`, no plugins.
 *
 * @example
 * ```ts
 * import { dashboardCsp } from "./dashboard_page.ts";
 * dashboardCsp().includes("frame-ancestors 'none'"); // => true
 * ```
 */
export function dashboardCsp(): string {
  const html = dashboardHtml();
  policy ??= [
    "default-src 'self'",
    `script-src ${inlineHashes(html, "script").join(" ")}`,
    `style-src ${inlineHashes(html, "style").join(" ")}`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
  return policy;
}

/**
 * The dashboard's HTML (built once).
 *
 * @example
 * ```ts
 * import { dashboardHtml } from "./dashboard_page.ts";
 * dashboardHtml().startsWith("<!doctype html>"); // => true
 * ```
 */
export function dashboardHtml(): string {
  page ??= `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>QTS Observer — live</title>
<link rel="icon" href="data:,">
<style>${UPLOT_STYLE}</style>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 20px; color: #1d2327; max-width: 960px; }
h1 { font-size: 20px; margin-bottom: 4px; } h2 { font-size: 16px; margin-top: 24px; }
#summary, #stream-state { color: #555; }
table { border-collapse: collapse; } th, td { padding: 3px 12px; border-bottom: 1px solid #ddd; text-align: left; }
.columns { display: flex; gap: 48px; flex-wrap: wrap; }
</style>
</head>
<body>
<h1>QTS Observer — live</h1>
<div id="summary">connecting…</div>
<div>stream: <span id="stream-state">connecting…</span></div>
<form id="token-form" hidden>
<label>Bearer token <input id="token" type="password" autocomplete="off"></label>
<button type="submit">Connect</button>
</form>
<h2>Records per second</h2>
<div id="rates"></div>
<h2>Queued in sinks</h2>
<div id="queues"></div>
<h2>Followers of the log</h2>
<table><thead><tr><th>follower</th><th>state</th><th>behind (records)</th><th>behind (bytes)</th><th>delivered</th><th>last error</th></tr></thead><tbody id="followers"><tr><td colspan="6">none</td></tr></tbody></table>
<div class="columns">
<section>
<h2>Last price per symbol</h2>
<table><thead><tr><th>symbol</th><th>price</th><th>time</th></tr></thead><tbody id="prices"></tbody></table>
</section>
<section>
<h2>Blocked reasons</h2>
<table><thead><tr><th>reason</th><th>records</th></tr></thead><tbody id="reasons"></tbody></table>
</section>
</div>
${UPLOT_NOTICE}
<script>${UPLOT_SCRIPT}</script>
<script>${inlineScript(dashboardJs)}</script>
</body>
</html>
`;
  return page;
}
