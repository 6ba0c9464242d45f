/* SalientStream dashboard page. Live through server-sent events (/api/stream): each event carries what
 * changed (list rows, new curve points, window ends, commands, dead letters), applied in place; the page
 * never re-fetches everything on a timer. Charts are uPlot (served from its WebJar). Every buffer the page
 * keeps is bounded: curves are thinned like the server's (older half halved when full). */
(function () {
  "use strict";

  const MAX_POINTS = 2000;
  const MAX_COMMANDS = 200;
  const MAX_DEAD_LETTERS = 500;
  const MAX_HEATMAPS = 400;
  const MAX_LATENCIES = 1000;
  const COLORS = ["#3d6bd6", "#d65f3d", "#2a9d5b", "#9b59b6", "#c9a227", "#17a2b8", "#e83e8c", "#6c757d"];

  const $ = (id) => document.getElementById(id);
  const el = (tag, props, children) => {
    const e = document.createElement(tag);
    if (props) Object.assign(e, props);
    (children || []).forEach((c) => e.append(c));
    return e;
  };
  const fmt = (v, d) => (v === null || v === undefined || Number.isNaN(v) ? "–" : Number(v).toFixed(d));
  const time = (ms) => new Date(ms).toISOString().replace("T", " ").replace("Z", "");

  // ------------------------------------------------------------------ state

  const state = {
    rows: new Map(),          // id -> summary
    trs: new Map(),           // id -> <tr>
    sortKey: "id",
    sortDesc: false,
    filter: "",
    selected: null,
    detail: null,             // the selected experiment's view
    pending: [],
    compare: new Set(),
    compareData: new Map(),   // id -> {curves, layout, heatmaps}
    deadLetters: [],
    events: 0,
    lastEventServerMs: 0,
  };
  const charts = {};
  // for tests and curious users: read-only handles on what the page holds
  window.dashboard = { state, charts };

  // ------------------------------------------------------------------ bounded series

  /**
   * Appends [xs, ys] to a two-column series after its last x; a point before the first x (a curve's
   * starting point, read after later ones) goes in front. Thins the older half when full.
   */
  function append(series, xs, ys) {
    for (let i = 0; i < xs.length; i++) {
      const n = series[0].length;
      if (n > 0 && xs[i] < series[0][0]) {
        series[0].unshift(xs[i]);
        series[1].unshift(ys[i]);
        continue;
      }
      if (n > 0 && xs[i] <= series[0][n - 1]) continue;
      series[0].push(xs[i]);
      series[1].push(ys[i]);
    }
    while (series[0].length > MAX_POINTS) {
      const half = Math.floor(series[0].length / 2);
      const keep = (a) => a.slice(0, half).filter((_, i) => i % 2 === 0).concat(a.slice(half));
      series[0] = keep(series[0]);
      series[1] = keep(series[1]);
    }
    return series;
  }

  function pushBounded(list, items, max) {
    items.forEach((i) => list.push(i));
    if (list.length > max) list.splice(0, list.length - max);
  }

  // ------------------------------------------------------------------ charts (uPlot)

  function chartWidth(box) {
    return Math.max(280, box.clientWidth - 4);
  }

  function lineChart(box, labels, opts) {
    const series = [{ label: "step" }].concat(labels.map((l, i) => Object.assign({
      label: l, stroke: COLORS[i % COLORS.length], width: 1.5, spanGaps: true,
    }, (opts && opts.series && opts.series[i]) || {})));
    const data = [[]].concat(labels.map(() => []));
    box.textContent = "";
    return new uPlot({
      width: chartWidth(box), height: 200, series,
      scales: { x: { time: false } },
      axes: [{ label: "step" }, { label: (opts && opts.yLabel) || "" }],
      legend: { live: false },
    }, data, box);
  }

  function barChart(box, label, hooks) {
    box.textContent = "";
    return new uPlot({
      width: chartWidth(box), height: 200,
      scales: { x: { time: false } },
      series: [{ label: "value" }, {
        label, stroke: COLORS[0], fill: "rgba(61,107,214,0.35)",
        paths: uPlot.paths.bars({ size: [0.9, 40] }), points: { show: false },
      }],
      axes: [{}, { label: "count" }],
      legend: { live: false },
      hooks: hooks || {},
    }, [[], []], box);
  }

  /** Several two-column series on one x axis (uPlot wants aligned columns). */
  function joined(list) {
    const nonEmpty = list.filter((s) => s && s[0].length > 0);
    if (nonEmpty.length === 0) return [[]].concat(list.map(() => []));
    return uPlot.join(list.map((s) => (s && s[0].length > 0 ? s : [[nonEmpty[0][0][0]], [null]])));
  }

  // ------------------------------------------------------------------ experiment list

  function summaryCells(s) {
    const over = s.budget >= 0 && s.totalRank > s.budget;
    return [
      ["id", s.id, ""],
      ["policy", s.policy, ""],
      ["task", s.task, ""],
      ["state", s.state, "state-" + s.state],
      ["step", (s.step < 0 ? "–" : s.step) + (s.totalSteps > 0 ? " / " + s.totalSteps : ""), "num"],
      ["loss", fmt(s.loss, 4), "num"],
      ["totalRank", (s.totalRank < 0 ? "–" : s.totalRank) + " / " + (s.budget < 0 ? "–" : s.budget), over ? "num over" : "num"],
      ["commands", s.commands, "num"],
      ["commandsRefused", s.commandsRefused || 0, s.commandsRefused > 0 ? "num over" : "num"],
      ["commandLagSteps", s.commandLagSteps, "num"],
      ["deadLetters", s.deadLetters, "num"],
    ];
  }

  function upsertRow(s) {
    state.rows.set(s.id, s);
    let tr = state.trs.get(s.id);
    if (!tr) {
      tr = el("tr");
      tr.dataset.id = s.id;
      const box = el("input", { type: "checkbox", title: "compare" });
      box.addEventListener("click", (ev) => {
        ev.stopPropagation();
        toggleCompare(s.id, box.checked);
      });
      tr.append(el("td", null, [box]));
      summaryCells(s).forEach(([key]) => {
        const td = el("td");
        td.dataset.key = key;
        tr.append(td);
      });
      tr.addEventListener("click", () => select(s.id));
      state.trs.set(s.id, tr);
      scheduleListOrder();
    }
    summaryCells(s).forEach(([key, text, cls]) => {
      const td = tr.querySelector('td[data-key="' + key + '"]');
      if (td.textContent !== String(text)) td.textContent = text;
      td.className = cls;
    });
    if (state.sortKey !== "id") scheduleListOrder();
  }

  let orderPending = false;
  function scheduleListOrder() {
    if (orderPending) return;
    orderPending = true;
    setTimeout(() => { orderPending = false; orderList(); }, 300);
  }

  function orderList() {
    const f = state.filter.toLowerCase();
    const key = state.sortKey;
    const rows = Array.from(state.rows.values());
    rows.sort((a, b) => {
      const x = a[key], y = b[key];
      let c = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
      if (c === 0) c = a.id.localeCompare(b.id);
      return state.sortDesc ? -c : c;
    });
    const tbody = document.querySelector("#experiments tbody");
    let shown = 0;
    rows.forEach((s) => {
      const tr = state.trs.get(s.id);
      const match = !f || [s.id, s.policy, s.task, s.state].some((v) => String(v).toLowerCase().includes(f));
      tr.hidden = !match;
      if (match) shown++;
      tbody.append(tr);
    });
    $("count").textContent = shown + " of " + rows.length + " experiments";
    document.querySelectorAll("#experiments th[data-key]").forEach((th) => {
      th.classList.toggle("sorted-asc", th.dataset.key === key && !state.sortDesc);
      th.classList.toggle("sorted-desc", th.dataset.key === key && state.sortDesc);
    });
  }

  // ------------------------------------------------------------------ one experiment

  async function select(id) {
    state.selected = id;
    state.detail = null;
    state.pending = [];   // deltas that arrive while the view loads, applied after it
    state.trs.forEach((tr, k) => tr.classList.toggle("selected", k === id));
    const res = await fetch("/api/experiments/" + encodeURIComponent(id));
    if (!res.ok) {
      $("detail-title").textContent = "cannot load " + id + ": " + (await res.json()).error;
      return;
    }
    const view = await res.json();
    if (state.selected !== id) return;
    state.detail = view;
    $("detail").hidden = false;
    $("detail-title").textContent = id + " — " + view.summary.policy + ", " + view.summary.task;
    ["loss", "metrics", "rank", "window", "salience", "latency"].forEach((k) => {
      if (charts[k]) charts[k].destroy();
    });
    charts.loss = lineChart($("chart-loss"), ["task loss"], { yLabel: "loss" });
    const metricNames = Object.keys(view.curves).filter((k) => k.startsWith("metric:"));
    charts.metrics = lineChart($("chart-metrics"), metricNames.length ? metricNames.map((k) => k.slice(7)) : ["(no metrics yet)"]);
    charts.metricNames = metricNames;
    charts.rank = lineChart($("chart-rank"), ["total rank", "budget"], {
      yLabel: "rank", series: [{}, { paths: uPlot.paths.stepped({ align: 1 }), dash: [6, 4] }],
    });
    charts.window = lineChart($("chart-window"), ["window length"], {
      yLabel: "steps", series: [{ paths: uPlot.paths.stepped({ align: 1 }), points: { show: true } }],
    });
    charts.salience = barChart($("chart-salience"), "scores", { draw: [drawThreshold] });
    charts.latency = barChart($("chart-latency"), "commands");
    drawCurves();
    state.detail.following = true;
    drawHeatmapSlider(true);
    drawSalience();
    drawLatency();
    const ctb = document.querySelector("#commands tbody");
    ctb.textContent = "";
    view.commands.forEach(addCommandRow);
    view.refusals = view.refusals || [];
    view.refusals.forEach(addRefusalRow);
    const dtb = document.querySelector("#detail-deadletters tbody");
    dtb.textContent = "";
    view.deadLetters.forEach((d) => dtb.prepend(deadLetterRow(d, false)));
    const pending = state.pending;
    state.pending = [];
    pending.forEach(applyDetail);
  }

  function drawCurves() {
    const c = state.detail.curves;
    charts.loss.setData([c.loss[0], c.loss[1]]);
    charts.rank.setData(joined([c.rank, c.budget]));
    charts.window.setData([c.window[0], c.window[1]]);
    if (charts.metricNames.length) {
      charts.metrics.setData(joined(charts.metricNames.map((k) => c[k])));
      const last = state.detail.summary.metrics || {};
      $("metrics-caption").textContent = Object.keys(last).map((k) => k + " " + fmt(last[k], 3)).join(", ");
    }
  }

  /** Applies a delta to the selected view; what the view already holds (from its snapshot) is skipped. */
  function applyDetail(e) {
    const d = state.detail;
    d.summary = e.summary;
    const lastSeq = (list) => (list.length ? list[list.length - 1].sequence : -1);
    if (e.heatmaps) {
      // the initial pattern (sequence 0) may come after commands' patterns: it goes in front
      const hs = e.heatmaps.slice().sort((a, b) => a.sequence - b.sequence);
      if (hs.length && hs[0].sequence === 0 && d.heatmaps.length > 0 && d.heatmaps[0].sequence !== 0) d.heatmaps.unshift(hs.shift());
      e = Object.assign({}, e, { heatmaps: hs.filter((h) => h.sequence > lastSeq(d.heatmaps) || (d.heatmaps.length === 0)) });
    }
    if (e.commands) e = Object.assign({}, e, { commands: e.commands.filter((c) => c.sequence > lastSeq(d.commands)) });
    if (e.refusals) {
      const key = (r) => r.runId + "/" + r.epoch + "/" + r.refused;
      const seen = new Set(d.refusals.map(key));
      e = Object.assign({}, e, { refusals: e.refusals.filter((r) => !seen.has(key(r))) });
    }
    if (e.deadLetters) {
      const seen = new Set(d.deadLetters.map((x) => x.sourceTopic + "/" + x.sourcePartition + "/" + x.sourceOffset + "/" + x.failedAtMs));
      e = Object.assign({}, e, { deadLetters: e.deadLetters.filter((x) => !seen.has(x.sourceTopic + "/" + x.sourcePartition + "/" + x.sourceOffset + "/" + x.failedAtMs)) });
      pushBounded(d.deadLetters, e.deadLetters, MAX_DEAD_LETTERS);
    }
    if (e.points) {
      let newMetric = false;
      Object.entries(e.points).forEach(([k, cols]) => {
        if (!d.curves[k]) {
          d.curves[k] = [[], []];
          if (k.startsWith("metric:")) newMetric = true;
        }
        d.curves[k] = append(d.curves[k], cols[0], cols[1]);
      });
      if (newMetric) {
        charts.metricNames = Object.keys(d.curves).filter((k) => k.startsWith("metric:"));
        charts.metrics.destroy();
        charts.metrics = lineChart($("chart-metrics"), charts.metricNames.map((k) => k.slice(7)));
      }
      drawCurves();
    }
    if (e.layout) d.layout = e.layout;
    if (e.heatmaps && e.heatmaps.length) {
      pushBounded(d.heatmaps, e.heatmaps, MAX_HEATMAPS);
      drawHeatmapSlider(false);
    }
    if (e.salience) {
      d.salience = e.salience;
      drawSalience();
    }
    if (e.latenciesMs) {
      pushBounded(d.latenciesMs, e.latenciesMs, MAX_LATENCIES);
      drawLatency();
    }
    if (e.commands && e.commands.length) {
      pushBounded(d.commands, e.commands, MAX_COMMANDS);
      e.commands.forEach(addCommandRow);
      const rows = document.querySelectorAll("#commands tbody tr");
      for (let i = MAX_COMMANDS; i < rows.length; i++) rows[i].remove();
    }
    if (e.refusals && e.refusals.length) {
      pushBounded(d.refusals, e.refusals, MAX_COMMANDS);
      e.refusals.forEach(addRefusalRow);
    }
    if (e.deadLetters) {
      const dtb = document.querySelector("#detail-deadletters tbody");
      e.deadLetters.forEach((x) => dtb.prepend(deadLetterRow(x, false)));
    }
  }

  function addCommandRow(c) {
    const tr = el("tr");
    const params = Object.entries(c.params || {}).map(([k, v]) => k + "=" + v).join(", ");
    [
      c.sequence, c.decidedAtStep, c.applyAtStep, c.totalRank,
      c.windowStartStep + "–" + c.windowEndStep, fmt(c.threshold, 4), c.policy, c.codeVersion,
      c.latencyMs === null || c.latencyMs === undefined ? "–" : fmt(c.latencyMs, 0) + " ms", c.commandId,
    ].forEach((v) => tr.append(el("td", { textContent: v })));
    tr.title = "epoch " + c.epoch + (c.persistent ? ", persistent" : "") + (params ? "; params: " + params : "");
    document.querySelector("#commands tbody").prepend(tr);
  }

  /** A command the trainer refused: one row of the command log, with the trainer's message. */
  function addRefusalRow(r) {
    const tr = el("tr", { className: "refused" });
    tr.append(el("td", { textContent: "refused" }));
    tr.append(el("td", { textContent: r.step }));
    const msg = el("td", {
      textContent: r.message + " (" + r.refused + " refused by run " + r.runId + ", epoch " + r.epoch + ")",
    });
    msg.colSpan = 8;
    tr.append(msg);
    tr.title = "reported by the trainer at " + new Date(r.atMs).toISOString();
    document.querySelector("#commands tbody").prepend(tr);
  }

  // ------------------------------------------------------------------ heatmap (an HTML table, one cell per matrix)

  function heatmapTable(layout, snapshot, maxValue) {
    const table = el("table", { className: "heatmap" });
    const head = el("tr", null, [el("th", { textContent: "layer" })]);
    layout.columns.forEach((c) => head.append(el("th", { textContent: c })));
    table.append(el("thead", null, [head]));
    const tbody = el("tbody");
    const grid = layout.layers.map(() => layout.columns.map(() => null));
    layout.cells.forEach(([r, c], i) => { grid[r][c] = i; });
    layout.layers.forEach((layer, r) => {
      const tr = el("tr", null, [el("th", { textContent: layer })]);
      layout.columns.forEach((col, c) => {
        const i = grid[r][c];
        if (i === null) {
          tr.append(el("td"));
          return;
        }
        const v = snapshot.values[i];
        const t = maxValue > 0 ? v / maxValue : 0;
        const td = el("td", { className: "hm-cell", textContent: v });
        td.dataset.matrix = layout.matrices[i];
        td.dataset.value = v;
        td.title = layout.matrices[i] + ": " + v;
        td.style.background = "rgba(61,107,214," + (0.08 + 0.92 * t).toFixed(3) + ")";
        td.style.color = t > 0.55 ? "#fff" : "#1d2330";
        tr.append(td);
      });
      tbody.append(tr);
    });
    table.append(tbody);
    return table;
  }

  function maxOf(heatmaps) {
    let m = 0;
    heatmaps.forEach((h) => h.values.forEach((v) => { if (v > m) m = v; }));
    return m;
  }

  function drawHeatmapSlider(reset) {
    const d = state.detail;
    const slider = $("heatmap-slider");
    const atEnd = reset || Number(slider.value) >= Number(slider.max);
    slider.max = Math.max(0, d.heatmaps.length - 1);
    if (atEnd) slider.value = slider.max;
    drawHeatmap();
  }

  function drawHeatmap() {
    const d = state.detail;
    if (!d) return;
    const box = $("heatmap");
    box.textContent = "";
    if (!d.layout || d.heatmaps.length === 0) {
      $("heatmap-caption").textContent = "(no rank pattern yet)";
      return;
    }
    const h = d.heatmaps[Number($("heatmap-slider").value)] || d.heatmaps[d.heatmaps.length - 1];
    const same = d.heatmaps.filter((x) => x.measure === h.measure);
    box.append(heatmapTable(d.layout, h, maxOf(same)));
    $("heatmap-caption").textContent = h.measure + " at step " + h.step +
      (h.sequence > 0 ? " (command #" + h.sequence + ")" : "") + " — pattern " +
      (Number($("heatmap-slider").value) + 1) + " of " + d.heatmaps.length;
  }

  // ------------------------------------------------------------------ salience histogram and latency distribution

  function drawThreshold(u) {
    const s = state.detail && state.detail.salience;
    if (!s || s.threshold === null || s.threshold === undefined) return;
    const x = Math.round(u.valToPos(s.threshold, "x", true));
    const ctx = u.ctx;
    ctx.save();
    ctx.strokeStyle = "#d62728";
    ctx.lineWidth = 2;
    ctx.setLineDash([5, 3]);
    ctx.beginPath();
    ctx.moveTo(x, u.bbox.top);
    ctx.lineTo(x, u.bbox.top + u.bbox.height);
    ctx.stroke();
    ctx.restore();
  }

  function drawSalience() {
    const s = state.detail.salience;
    if (!s) {
      $("salience-caption").textContent = "no window end yet";
      return;
    }
    const xs = s.binStarts.slice();
    const ys = s.counts.slice();
    if (s.threshold !== null && xs.length > 0) {
      // keep the threshold inside the x range
      const w = xs.length > 1 ? xs[1] - xs[0] : 1;
      xs.push(xs[xs.length - 1] + w);
      ys.push(null);
    }
    charts.salience.setData([xs, ys]);
    $("salience-caption").textContent = "window " + s.windowIndex + " (steps " + s.windowStartStep + "–" +
      s.windowEndStep + "): " + s.scores + " scores, threshold " + fmt(s.threshold, 4) + " (red), kept " +
      s.kept + ", budget " + s.budget + (s.nonFinite ? ", " + s.nonFinite + " not finite" : "");
  }

  function drawLatency() {
    const l = state.detail.latenciesMs;
    if (!l || l.length === 0) {
      $("latency-caption").textContent = "no command yet";
      charts.latency.setData([[], []]);
      return;
    }
    const sorted = l.slice().sort((a, b) => a - b);
    const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
    const lo = sorted[0], hi = sorted[sorted.length - 1];
    const bins = 20, w = hi > lo ? (hi - lo) / bins : 1;
    const xs = [], ys = [];
    for (let b = 0; b < bins; b++) { xs.push(lo + b * w); ys.push(0); }
    l.forEach((v) => { ys[Math.min(bins - 1, Math.floor((v - lo) / w))]++; });
    charts.latency.setData([xs, ys]);
    $("latency-caption").textContent = "step event closing the window → command, ms: p50 " + fmt(q(0.5), 0) +
      ", p99 " + fmt(q(0.99), 0) + ", max " + fmt(hi, 0) + " (" + l.length + " commands)";
  }

  // ------------------------------------------------------------------ comparison

  function toggleCompare(id, on) {
    if (on && state.compare.size >= 8) {
      state.trs.get(id).querySelector("input").checked = false;
      return;
    }
    if (on) state.compare.add(id); else state.compare.delete(id);
    if (!on) state.compareData.delete(id);
    $("compare-count").textContent = state.compare.size;
    loadCompare();
  }

  async function loadCompare() {
    const ids = Array.from(state.compare);
    $("compare-empty").hidden = ids.length > 0;
    if (ids.length === 0) {
      drawCompare();
      return;
    }
    const res = await fetch("/api/compare?ids=" + ids.map(encodeURIComponent).join(","));
    if (!res.ok) return;
    const body = await res.json();
    body.experiments.forEach((v) => state.compareData.set(v.summary.id, v));
    drawCompare();
  }

  let compareCharted = "";
  function drawCompare() {
    const ids = Array.from(state.compare).filter((id) => state.compareData.has(id));
    const key = ids.join(",");
    if (key !== compareCharted) {
      if (charts.compareLoss) charts.compareLoss.destroy();
      if (charts.compareRank) charts.compareRank.destroy();
      charts.compareLoss = lineChart($("chart-compare-loss"), ids.length ? ids : ["(none)"], { yLabel: "loss" });
      charts.compareRank = lineChart($("chart-compare-rank"), ids.length ? ids : ["(none)"], { yLabel: "rank" });
      compareCharted = key;
    }
    if (ids.length) {
      charts.compareLoss.setData(joined(ids.map((id) => state.compareData.get(id).curves.loss)));
      charts.compareRank.setData(joined(ids.map((id) => state.compareData.get(id).curves.rank)));
    }
    const box = $("compare-heatmaps");
    box.textContent = "";
    ids.forEach((id) => {
      const v = state.compareData.get(id);
      const h = v.heatmaps[v.heatmaps.length - 1];
      const div = el("div", null, [el("h4", { textContent: id + " (" + v.summary.policy + ")" })]);
      if (h && v.layout) {
        div.append(el("p", { className: "caption", textContent: h.measure + " at step " + h.step }));
        div.append(heatmapTable(v.layout, h, maxOf(v.heatmaps.filter((x) => x.measure === h.measure))));
      }
      box.append(div);
    });
  }

  let compareDrawPending = false;
  function applyCompare(e) {
    const v = state.compareData.get(e.id);
    v.summary = e.summary;
    if (e.points) {
      Object.entries(e.points).forEach(([k, cols]) => {
        if (!v.curves[k]) v.curves[k] = [[], []];
        v.curves[k] = append(v.curves[k], cols[0], cols[1]);
      });
    }
    if (e.layout) v.layout = e.layout;
    if (e.heatmaps) pushBounded(v.heatmaps, e.heatmaps, MAX_HEATMAPS);
    if (!compareDrawPending) {
      compareDrawPending = true;
      setTimeout(() => { compareDrawPending = false; drawCompare(); }, 1000);
    }
  }

  // ------------------------------------------------------------------ dead letters

  function deadLetterRow(d, withExperiment) {
    const tr = el("tr");
    tr.dataset.reason = d.reason;
    const cells = [time(d.failedAtMs)];
    if (withExperiment) cells.push(d.experimentId || "(no key)");
    cells.push(d.reason, d.sourceTopic + " / " + d.sourcePartition + " / " + d.sourceOffset, d.application);
    cells.forEach((v) => tr.append(el("td", { textContent: v })));
    tr.append(el("td", { className: "msg", textContent: d.message }));
    return tr;
  }

  function addDeadLetters(list) {
    pushBounded(state.deadLetters, list, MAX_DEAD_LETTERS);
    const tbody = document.querySelector("#deadletters tbody");
    list.forEach((d) => tbody.prepend(deadLetterRow(d, true)));
    const rows = tbody.querySelectorAll("tr");
    for (let i = MAX_DEAD_LETTERS; i < rows.length; i++) rows[i].remove();
    $("dl-count").textContent = state.deadLetters.length;
  }

  // ------------------------------------------------------------------ live stream

  function onUpdate(msg) {
    const delta = JSON.parse(msg.data);
    state.events++;
    state.lastEventServerMs = delta.serverTimeMs;
    const dls = [];
    delta.experiments.forEach((e) => {
      upsertRow(e.summary);
      if (state.selected === e.id) {
        if (state.detail) applyDetail(e);
        else if (state.pending.length < 500) state.pending.push(e);
      }
      if (state.compareData.has(e.id)) applyCompare(e);
      if (e.deadLetters) e.deadLetters.forEach((d) => dls.push(d));
    });
    if (delta.unkeyedDeadLetters) delta.unkeyedDeadLetters.forEach((d) => dls.push(d));
    if (dls.length) addDeadLetters(dls);
  }

  function connect() {
    const es = new EventSource("/api/stream");
    es.addEventListener("hello", () => {
      $("conn").textContent = "live";
      $("conn").className = "conn live";
    });
    es.addEventListener("update", onUpdate);
    es.onerror = () => {
      $("conn").textContent = "reconnecting…";
      $("conn").className = "conn";
    };
  }

  async function loadInitial() {
    const res = await fetch("/api/experiments");
    const body = await res.json();
    body.experiments.forEach(upsertRow);
    orderList();
    const dl = await (await fetch("/api/dead-letters?limit=" + MAX_DEAD_LETTERS)).json();
    // the stream may already have added some: keep each (topic, partition, offset) once
    const seen = new Set(state.deadLetters.map((d) => d.sourceTopic + "/" + d.sourcePartition + "/" + d.sourceOffset + "/" + d.failedAtMs));
    addDeadLetters(dl.deadLetters.filter((d) => !seen.has(d.sourceTopic + "/" + d.sourcePartition + "/" + d.sourceOffset + "/" + d.failedAtMs)));
  }

  // ------------------------------------------------------------------ wiring

  document.querySelectorAll("nav button").forEach((b) => b.addEventListener("click", () => {
    document.querySelectorAll("nav button").forEach((x) => x.classList.toggle("active", x === b));
    ["experiments", "compare", "deadletters"].forEach((t) => { $("tab-" + t).hidden = t !== b.dataset.tab; });
    if (b.dataset.tab === "compare") { compareCharted = ""; drawCompare(); }
  }));
  document.querySelectorAll("#experiments th[data-key]").forEach((th) => th.addEventListener("click", () => {
    if (state.sortKey === th.dataset.key) state.sortDesc = !state.sortDesc;
    else { state.sortKey = th.dataset.key; state.sortDesc = false; }
    orderList();
  }));
  $("filter").addEventListener("input", (ev) => { state.filter = ev.target.value; orderList(); });
  $("heatmap-slider").addEventListener("input", drawHeatmap);

  connect();
  loadInitial();
})();
