// The live dashboard of `observer.ts serve` (GET /), run in the browser. Every second it reads
// /v1/status (with the token when one is set) for records per second by outcome and the sinks' queued bytes; it reads the
// record stream /v1/stream (bearer token from the page's #token=… fragment or the form) for the
// last price per symbol and the blocked reasons. Charts are drawn by uPlot, inlined in the page.
"use strict";

const WINDOW_SECONDS = 120;
const TOKEN_KEY = "qts-observer-token";
const $ = (id) => document.getElementById(id);

const fragment = new URLSearchParams(location.hash.slice(1));
if (fragment.has("token")) {
  sessionStorage.setItem(TOKEN_KEY, fragment.get("token"));
  history.replaceState(null, "", location.pathname + location.search);
}

/** Per-second series: time, accepted, blocked, rejected, queued bytes. */
const series = { time: [], accepted: [], blocked: [], rejected: [], queued: [] };
let previous;
const prices = new Map();
const reasons = new Map();
let events = 0;

function push(time, values) {
  series.time.push(time);
  for (const key of ["accepted", "blocked", "rejected", "queued"]) series[key].push(values[key]);
  if (series.time.length > WINDOW_SECONDS) {
    for (const key of Object.keys(series)) series[key].shift();
  }
}

function chart(target, title, labels, colors) {
  const width = Math.max(320, Math.min(900, target.clientWidth || 900));
  return new uPlot(
    {
      title,
      width,
      height: 220,
      scales: { x: { time: true, range: (_u, _min, max) => [max - WINDOW_SECONDS, max] } },
      series: [{}, ...labels.map((label, i) => ({ label, stroke: colors[i], width: 2 }))],
      axes: [{}, { size: 70 }],
    },
    [[], ...labels.map(() => [])],
    target,
  );
}

const rateChart = chart($("rates"), "records per second", ["accepted", "blocked", "rejected"], [
  "#2a7",
  "#d63",
  "#a3c",
]);
const queueChart = chart($("queues"), "bytes queued in sinks", ["queued"], ["#37c"]);

function cell(text) {
  const td = document.createElement("td");
  td.textContent = text;
  return td;
}

function renderTables() {
  const priceRows = [...prices.entries()].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0).map(
    ([symbol, p]) => {
      const tr = document.createElement("tr");
      tr.dataset.symbol = symbol;
      tr.dataset.price = String(p.price);
      tr.append(cell(symbol), cell(String(p.price)), cell(p.time));
      return tr;
    },
  );
  $("prices").replaceChildren(...priceRows);
  const reasonRows = [...reasons.entries()].sort((a, b) => b[1] - a[1]).map(([reason, n]) => {
    const tr = document.createElement("tr");
    tr.dataset.reason = reason;
    tr.dataset.count = String(n);
    tr.append(cell(reason), cell(String(n)));
    return tr;
  });
  $("reasons").replaceChildren(...reasonRows);
  document.body.dataset.events = String(events);
}

async function pollStatus() {
  try {
    const token = sessionStorage.getItem(TOKEN_KEY);
    const headers = token ? { authorization: `Bearer ${token}` } : {};
    const response = await fetch("/v1/status", { cache: "no-store", headers });
    if (response.status === 401) return; // the stream asks for the token
    const status = await response.json();
    const c = status.observer;
    const totals = {
      accepted: c.dispatched,
      blocked: c.blockedByValidation + c.blockedByGuard,
      rejected: status.rejected,
    };
    const now = Date.now() / 1000;
    if (previous !== undefined) {
      const dt = Math.max(0.001, now - previous.time);
      push(now, {
        accepted: (totals.accepted - previous.totals.accepted) / dt,
        blocked: (totals.blocked - previous.totals.blocked) / dt,
        rejected: (totals.rejected - previous.totals.rejected) / dt,
        queued: status.sinks.reduce((sum, s) => sum + (s.queuedBytes ?? 0), 0),
      });
      rateChart.setData([series.time, series.accepted, series.blocked, series.rejected]);
      queueChart.setData([series.time, series.queued]);
    }
    previous = { time: now, totals };
    $("summary").textContent =
      `v${status.version} · up ${status.uptime_seconds} s · accepted ${totals.accepted.toLocaleString()} · blocked ${totals.blocked.toLocaleString()} · rejected ${totals.rejected.toLocaleString()} · sinks ${
        status.sinks.map((s) => `${s.name}${s.failing ? " (failing)" : ""}`).join(", ")
      }`;
    showFollowers(status.followers ?? []);
    document.body.dataset.accepted = String(totals.accepted);
    document.body.dataset.blocked = String(totals.blocked);
    document.body.dataset.rejected = String(totals.rejected);
  } catch (error) {
    $("summary").textContent = `status unavailable: ${error}`;
  }
}

/** The followers of the log: state and lag, one row each (as /v1/status gives them). */
function showFollowers(followers) {
  if (followers.length === 0) return;
  const body = $("followers");
  body.replaceChildren(...followers.map((f) => {
    const row = document.createElement("tr");
    row.dataset.follower = f.name;
    row.dataset.state = f.state;
    row.dataset.behind = String(f.behind_records ?? "");
    row.dataset.delivered = String(f.delivered);
    for (
      const text of [
        f.name,
        f.state,
        f.behind_records === null ? "many" : f.behind_records.toLocaleString(),
        f.behind_bytes.toLocaleString(),
        f.delivered.toLocaleString(),
        f.last_error ?? "",
      ]
    ) {
      const cell = document.createElement("td");
      cell.textContent = text;
      row.append(cell);
    }
    return row;
  }));
}

function onRecord(record) {
  events++;
  const snapshot = record.snapshot ?? {};
  const guard = record.metadata?.guard ?? {};
  const symbol = snapshot.context?.symbol;
  const price = snapshot.observation?.inputs?.price;
  if (guard.action === "BLOCK") {
    const reason = String(guard.reason ?? "BLOCK").split(":")[0];
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  } else if (typeof symbol === "string" && typeof price === "number") {
    prices.set(symbol, { price, time: String(snapshot.meta?.timestamp ?? "") });
  }
}

/** Reads the SSE stream with fetch (EventSource cannot send the token), reconnecting. */
async function readStream() {
  let lastId;
  while (true) {
    const token = sessionStorage.getItem(TOKEN_KEY);
    const headers = token ? { authorization: `Bearer ${token}` } : {};
    if (lastId !== undefined) headers["last-event-id"] = lastId;
    try {
      const response = await fetch("/v1/stream?guard=PASS&guard=BLOCK", { headers });
      if (response.status === 401) {
        $("stream-state").textContent = "the stream needs the token";
        $("token-form").hidden = false;
        await new Promise((resolve) =>
          $("token-form").addEventListener("submit", resolve, { once: true })
        );
        continue;
      }
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      $("stream-state").textContent = "live";
      document.body.dataset.stream = "live";
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = "message";
          let data = "";
          for (const line of block.split("\n")) {
            if (line.startsWith("id: ")) lastId = line.slice(4);
            else if (line.startsWith("event: ")) event = line.slice(7);
            else if (line.startsWith("data: ")) data += line.slice(6);
          }
          if (event === "record") onRecord(JSON.parse(data));
          if (event === "gap") $("stream-state").textContent = `live (missed ${data})`;
        }
      }
    } catch (error) {
      $("stream-state").textContent = `reconnecting: ${error.message ?? error}`;
    }
    document.body.dataset.stream = "reconnecting";
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

$("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $("token").value);
  $("token-form").hidden = true;
});

setInterval(renderTables, 500);
setInterval(pollStatus, 1000);
pollStatus();
readStream();
