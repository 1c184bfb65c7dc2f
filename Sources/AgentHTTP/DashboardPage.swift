/// The dashboard: one self-contained page (no build step, nothing fetched from the internet). Charts are
/// drawn by Chart.js, served from the system's copy at `/static/chart.min.js`; updates arrive over
/// Server-Sent Events from `/api/stream`, one frame a second for the chosen device.
///
/// The `#status` element carries what the page has rendered as data attributes, so a headless browser
/// test can check the drawn page without screen-scraping; `#autotest` in the URL presses Inject once.
enum DashboardPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>edge-anomaly</title>
<style>
  :root { --bg:#f6f7f9; --card:#fff; --ink:#1d2330; --muted:#6b7385; --line:#e2e5eb; --bad:#d1373f; --warn:#e08a00; --ok:#1f8a4c; --accent:#2b6cd4; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; background:var(--bg); color:var(--ink); }
  header { display:flex; gap:18px; align-items:center; padding:10px 18px; background:#1d2330; color:#fff; flex-wrap:wrap; }
  header h1 { font-size:16px; margin:0; font-weight:600; }
  header .meta { color:#b9c0cf; font-size:12px; }
  .pill { padding:2px 8px; border-radius:10px; font-size:12px; font-weight:600; }
  .pill.ok { background:var(--ok); } .pill.bad { background:var(--bad); } .pill.warn { background:var(--warn); }
  .bar { display:flex; gap:10px; align-items:center; padding:10px 18px; flex-wrap:wrap; border-bottom:1px solid var(--line); background:var(--card); }
  .bar label { color:var(--muted); }
  select, input, button { font:inherit; padding:4px 8px; border:1px solid var(--line); border-radius:6px; background:#fff; }
  button { cursor:pointer; } button:hover { border-color:var(--accent); }
  button.primary { background:var(--accent); color:#fff; border-color:var(--accent); }
  main { display:grid; grid-template-columns: minmax(0,1fr) 380px; gap:14px; padding:14px 18px; }
  .card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:10px 12px; }
  .card h2 { font-size:13px; margin:0 0 6px; color:var(--muted); font-weight:600; text-transform:uppercase; letter-spacing:.04em; }
  .charts { display:grid; grid-template-columns: repeat(2, minmax(0,1fr)); gap:12px; }
  .charts .wide { grid-column: 1 / -1; }
  .chart-box { position:relative; height:170px; } .wide .chart-box { height:190px; }
  table { width:100%; border-collapse:collapse; font-size:13px; }
  td, th { padding:3px 4px; text-align:left; border-bottom:1px solid var(--line); vertical-align:top; }
  td.num { text-align:right; font-variant-numeric: tabular-nums; }
  .side { display:flex; flex-direction:column; gap:12px; }
  .events { max-height:360px; overflow:auto; }
  .state-open, .state-update { color:var(--bad); font-weight:600; } .state-closed { color:var(--muted); }
  .legend span { display:inline-block; margin-right:12px; font-size:12px; color:var(--muted); }
  .swatch { display:inline-block; width:12px; height:10px; margin-right:4px; vertical-align:middle; border-radius:2px; }
  #notice { color:var(--bad); }
  @media (max-width: 1000px) { main { grid-template-columns: 1fr; } .charts { grid-template-columns: 1fr; } }
</style>
</head>
<body>
<header>
  <h1>edge-anomaly</h1>
  <span class="meta">agent <b id="agent">…</b></span>
  <span class="meta">model <span id="model">…</span></span>
  <span id="conn" class="pill warn">connecting</span>
  <span id="notice"></span>
</header>
<div class="bar">
  <label for="device">Device</label> <select id="device"></select>
  <button id="pause">Pause view</button>
  <span class="legend">
    <span><i class="swatch" style="background:rgba(209,55,63,.18)"></i>detected event</span>
    <span><i class="swatch" style="background:rgba(224,138,0,.25)"></i>true anomaly (ground truth)</span>
    <span><i class="swatch" style="background:#d1373f"></i>anomalous point (score over the threshold, or a sensor outside its trained range)</span>
  </span>
  <span id="emulator" hidden>
    <label>Emulator</label>
    <button data-command="pause">Pause</button> <button data-command="resume">Resume</button> <button data-command="reset">Reset</button>
    <label for="kind">Inject</label>
    <select id="kind"><option>spike</option><option>level-shift</option><option>drift</option><option>noise</option><option>stuck</option><option>dropout</option></select>
    <label for="sensor">on</label> <select id="sensor"></select>
    <label for="seconds">for</label> <input id="seconds" type="number" min="1" max="600" value="5" style="width:60px"> s
    <button id="inject" class="primary">Inject</button>
    <span id="control-result" class="meta"></span>
  </span>
</div>
<main>
  <section class="card"><div id="charts" class="charts"></div></section>
  <aside class="side">
    <div class="card"><h2>Agent health</h2><table id="health"></table></div>
    <div class="card"><h2>Live accuracy</h2><table id="accuracy"></table></div>
    <div class="card"><h2>Events (open and recent)</h2><div class="events"><table id="events"></table></div></div>
  </aside>
</main>
<div id="status" hidden></div>
<script src="static/chart.min.js"></script>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const status = $("status").dataset;
status.frames = "0"; status.points = "0"; status.events = "0";
const view = { device: null, sensors: [], threshold: null, maxPoints: 300, paused: false, ts: [], score: [], anomalous: [], values: [],
               truth: [], events: [], scoreChart: null, sensorCharts: [], source: null, autotest: location.hash === "#autotest", injectAt: null };

const fmtTime = (ms) => new Date(ms).toLocaleTimeString();
const fmt = (x, digits = 3) => x === null || x === undefined || Number.isNaN(x) ? "–" : Number(x).toFixed(digits);
const pct = (x) => x === null || x === undefined ? "–" : (100 * x).toFixed(1) + " %";
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));

// Shades time spans behind a chart's lines: true anomalies (orange) and detected events (red).
const spanPlugin = {
  id: "spans",
  beforeDatasetsDraw(chart) {
    const { ctx, chartArea: area, scales: { x } } = chart;
    const draw = (spans, color) => spans.forEach(([start, end]) => {
      const left = Math.max(area.left, x.getPixelForValue(start)), right = Math.min(area.right, x.getPixelForValue(end));
      if (right > left) { ctx.fillStyle = color; ctx.fillRect(left, area.top, right - left, area.bottom - area.top); }
    });
    ctx.save();
    draw(view.truth.map((t) => [t.start, t.end]), "rgba(224,138,0,.25)");
    draw(view.events.filter((e) => e.device === view.device).map((e) => [e.onset_at ?? e.started_at, e.ended_at ?? Date.now()]), "rgba(209,55,63,.18)");
    ctx.restore();
  }
};

function makeChart(title, wide, color) {
  const box = document.createElement("div");
  if (wide) box.className = "wide";
  box.innerHTML = `<h2>${esc(title)}</h2><div class="chart-box"><canvas></canvas></div>`;
  $("charts").appendChild(box);
  const chart = new Chart(box.querySelector("canvas"), {
    type: "line",
    data: { datasets: [
      { label: title, data: [], borderColor: color, borderWidth: 1.5, pointRadius: 0, tension: 0, spanGaps: false },
      { label: "anomalous", data: [], type: "scatter", showLine: false, pointRadius: 3, backgroundColor: "#d1373f", borderColor: "#d1373f" }
    ] },
    options: { animation: false, responsive: true, maintainAspectRatio: false, parsing: false, normalized: true,
      plugins: { legend: { display: false }, tooltip: { enabled: true } },
      scales: { x: { type: "linear", ticks: { maxTicksLimit: 6, callback: (v) => fmtTime(v) } }, y: { ticks: { maxTicksLimit: 5 } } } },
    plugins: [spanPlugin]
  });
  return chart;
}

function buildCharts() {
  allCharts().forEach((c) => c.destroy());
  $("charts").innerHTML = "";
  const palette = ["#2b6cd4", "#8a4fd1", "#1f8a4c", "#c2571a", "#0f8a9a", "#7a7f12"];
  view.scoreChart = makeChart("anomaly score (dashed: threshold)", true, "#1d2330");
  view.scoreChart.data.datasets.push({ label: "threshold", data: [], borderColor: "#d1373f", borderDash: [6, 4], borderWidth: 1, pointRadius: 0 });
  // By position, not by name: a sensor may be called "score" or "__proto__".
  view.sensorCharts = view.sensors.map((s, i) => makeChart(s, false, palette[i % palette.length]));
}

function allCharts() { return (view.scoreChart ? [view.scoreChart] : []).concat(view.sensorCharts); }

function resetSeries() { view.ts = []; view.score = []; view.anomalous = []; view.values = view.sensors.map(() => []); }

function append(series) {
  if (!series || !series.ts.length) return;
  if (series.sensors.join() !== view.sensors.join()) { view.sensors = series.sensors; buildCharts(); resetSeries(); fillSensorChoice(); }
  view.threshold = series.threshold;
  for (let i = 0; i < series.ts.length; i++) {
    view.ts.push(series.ts[i]); view.score.push(series.score[i]); view.anomalous.push(series.anomalous[i]);
    series.values.forEach((column, k) => view.values[k].push(column[i]));
  }
  const extra = view.ts.length - view.maxPoints;
  if (extra > 0) {
    view.ts.splice(0, extra); view.score.splice(0, extra); view.anomalous.splice(0, extra);
    view.values.forEach((column) => column.splice(0, extra));
  }
}

function draw() {
  if (view.paused || !view.scoreChart) return;
  const points = (ys) => view.ts.map((t, i) => ({ x: t, y: ys[i] }));
  const flagged = (ys) => view.ts.flatMap((t, i) => (view.anomalous[i] && ys[i] !== null ? [{ x: t, y: ys[i] }] : []));
  const score = view.scoreChart;
  score.data.datasets[0].data = points(view.score);
  score.data.datasets[1].data = flagged(view.score);
  score.data.datasets[2].data = view.ts.length ? [{ x: view.ts[0], y: view.threshold }, { x: view.ts[view.ts.length - 1], y: view.threshold }] : [];
  view.sensorCharts.forEach((chart, k) => {
    chart.data.datasets[0].data = points(view.values[k]);
    chart.data.datasets[1].data = flagged(view.values[k]);
  });
  // One time axis for every chart, so a spike lines up across sensors and score.
  allCharts().forEach((c) => {
    c.options.scales.x.min = view.ts[0]; c.options.scales.x.max = view.ts[view.ts.length - 1];
    c.update("none");
  });
  status.points = String(score.data.datasets[0].data.filter((p) => p.y !== null).length);
  status.flagged = String(score.data.datasets[1].data.length);
}

function renderHealth(h, frame) {
  const conn = $("conn");
  conn.textContent = frame.ready ? "ready" : frame.readiness;
  conn.className = "pill " + (frame.ready ? "ok" : "bad");
  if (!h) { $("health").innerHTML = "<tr><td>waiting for the first health report…</td></tr>"; return; }
  const rejects = Object.entries(h.messages.rejected_by_reason).filter(([, n]) => n > 0).map(([r, n]) => `${esc(r)} ${n}`).join(", ") || "none";
  const lat = (p) => p && p.count ? `${fmt(p.p50)} / ${fmt(p.p99)} ms` : "–";
  const rows = [
    ["messages / s", fmt(h.messages.received_per_s, 1)], ["scored", h.messages.scored], ["rejected", `${h.messages.rejected} (${rejects})`],
    ["scoring p50 / p99", lat(h.latency_ms.scoring)], ["event latency p50 / p99", lat(h.latency_ms.end_to_end)],
    ["devices active / stale", `${h.devices.active} / ${h.devices.stale}`], ["events open / opened", `${h.events.open} / ${h.events.opened}`],
    ["broker", h.broker.connected ? `connected (${h.broker.connects} connects)` : "DISCONNECTED"],
    ["memory", h.resident_memory_bytes ? (h.resident_memory_bytes / 1048576).toFixed(1) + " MB" : "–"], ["uptime", h.uptime_s + " s"]
  ];
  $("health").innerHTML = rows.map(([k, v]) => `<tr><td>${k}</td><td class="num">${v}</td></tr>`).join("");
  status.rate = String(h.messages.received_per_s);
  status.scored = String(h.messages.scored);
}

function renderAccuracy(a) {
  if (!a.truth_seen) { $("accuracy").innerHTML = "<tr><td>no ground truth on the truth topic (the emulator publishes it)</td></tr>"; return; }
  const rows = [["true anomalies / detected", `${a.true_anomalies} / ${a.detected_anomalies}`], ["alarms / false", `${a.alarms} / ${a.false_alarms}`],
    ["precision", pct(a.precision)], ["recall", pct(a.recall)], ["F1", pct(a.f1)],
    ["mean detection delay", a.mean_delay_ms === undefined || a.mean_delay_ms === null ? "–" : (a.mean_delay_ms / 1000).toFixed(1) + " s"]]
    .concat(a.by_kind.map((k) => [`recall: ${esc(k.kind)}`, `${k.detected} / ${k.total}`]));
  $("accuracy").innerHTML = rows.map(([k, v]) => `<tr><td>${k}</td><td class="num">${v}</td></tr>`).join("");
  status.recall = String(a.recall ?? "");
}

function renderEvents(events) {
  view.events = events;
  const rows = events.map((e) => {
    // A derived feature that weighed most is what to show: the raw value may look ordinary.
    const who = e.contributors.map((c) => `${esc(c.sensor)} ${(100 * c.share).toFixed(0)}% ` + (c.feature
      ? `(${esc(c.feature)} ${fmt(c.feature_value)} vs ${fmt(c.feature_expected)})` : `(${fmt(c.value)} vs ${fmt(c.expected)})`)).join("<br>");
    return `<tr data-event="${esc(e.event_id)}" data-device="${esc(e.device)}"><td class="state-${e.state}">${e.state}</td>` +
      `<td>${esc(e.device)}<br><span class="meta">${fmtTime(e.started_at)}` +
      `${e.onset_at < e.started_at ? ` (began ${((e.started_at - e.onset_at) / 1000).toFixed(0)} s before)` : ""} · ${esc(e.severity)}` +
      `${e.finding ? " · " + esc(e.finding.replace("_", " ")) : ""}</span></td>` +
      `<td class="num">${fmt(e.peak_score)}</td><td>${who}</td></tr>`;
  });
  $("events").innerHTML = rows.length ? "<tr><th>state</th><th>device</th><th>peak</th><th>contributors</th></tr>" + rows.join("")
                                      : "<tr><td>no anomaly events yet</td></tr>";
  status.events = String(events.length);
  if (view.injectAt) {
    const hit = events.find((e) => e.device === view.device && e.started_at >= view.injectAt - 2000);
    if (hit) status.injectedEvent = hit.event_id;
  }
}

function renderDevices(devices) {
  const select = $("device");
  const names = devices.map((d) => d.device);
  if (JSON.stringify(names) !== JSON.stringify([...select.options].map((o) => o.value))) {
    select.innerHTML = devices.map((d) => `<option value="${esc(d.device)}">${esc(d.device)}</option>`).join("");
  }
  devices.forEach((d, i) => { select.options[i].textContent = d.device + (d.open_event ? "  ⚠ event open" : ""); });
  if (view.device) select.value = view.device;
  status.devices = String(devices.length);
}

function onFrame(frame) {
  if (frame.device && frame.device !== view.device) { view.device = frame.device; resetSeries(); }
  append(frame.series);
  view.truth = frame.truth;
  // The list comes when it changed, and every few seconds: not with every frame (thousands of devices).
  if (frame.devices) renderDevices(frame.devices);
  renderEvents(frame.events);
  renderHealth(frame.health, frame);
  renderAccuracy(frame.accuracy);
  draw();
  status.frames = String(Number(status.frames) + 1);
  if (view.autotest && !view.injectAt && Number(status.points) >= 20 && !$("emulator").hidden) {
    $("kind").value = "spike"; $("sensor").value = view.sensors.includes("vibration") ? "vibration" : view.sensors[0];
    $("seconds").value = "4"; $("inject").click();
  }
}

function connect(device) {
  if (view.source) view.source.close();
  view.device = device; resetSeries();
  view.source = new EventSource("api/stream" + (device ? "?device=" + encodeURIComponent(device) : ""));
  view.source.onmessage = (message) => onFrame(JSON.parse(message.data));
  view.source.onerror = () => {
    $("conn").textContent = "reconnecting…"; $("conn").className = "pill warn";
    // The browser retries a dropped connection by itself, but not an error answer (503 when too many
    // streams are open): then the page tries again.
    const source = view.source;
    if (source.readyState === EventSource.CLOSED) setTimeout(() => { if (view.source === source) connect(view.device); }, 5000);
  };
}

function fillSensorChoice() {
  // The value exactly as named: an option's text is trimmed and collapsed, its value attribute is not.
  $("sensor").innerHTML = view.sensors.map((s) => `<option value="${esc(s)}">${esc(s)}</option>`).join("");
}

async function control(body) {
  const response = await fetch("api/emulator", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  $("control-result").textContent = (await response.text()).trim();
  return response.ok;
}

document.querySelectorAll("[data-command]").forEach((b) => b.addEventListener("click", () => control({ command: b.dataset.command })));
$("inject").addEventListener("click", async () => {
  const sent = await control({ command: "inject", device: view.device, kind: $("kind").value, sensors: [$("sensor").value],
                               duration: Number($("seconds").value), magnitude: 3 });
  if (sent) { view.injectAt = Date.now(); status.injected = "1"; }
});
$("device").addEventListener("change", (e) => connect(e.target.value));
$("pause").addEventListener("click", () => {
  view.paused = !view.paused;
  $("pause").textContent = view.paused ? "Resume view" : "Pause view";
  draw();
});

(async () => {
  if (typeof Chart === "undefined") { $("notice").textContent = "Chart.js did not load (apt-get install libjs-chart.js)"; return; }
  const info = await (await fetch("api/info")).json();
  $("agent").textContent = info.agent;
  $("model").textContent = info.model ? info.model.slice(0, 19) + "…" : "none yet (learning)";
  view.maxPoints = info.series_points;
  view.sensors = info.sensors; buildCharts(); fillSensorChoice();
  $("emulator").hidden = !info.emulator;
  connect(null);
})();
</script>
</body>
</html>
"""#
}
