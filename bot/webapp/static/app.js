// The rotation Mini App: reads the bot's JSON API (api/ beside this page) and draws it.
// Every number comes from the API as the bot computed it; this file only formats and draws.
"use strict";

(function () {
  const tg = (window.Telegram && window.Telegram.WebApp) || null;
  const LWC = window.LightweightCharts;
  const base = location.pathname.replace(/[^/]*$/, "");
  const params = new URLSearchParams(location.search);
  const HORIZON_LABELS = { "1d": "1D", "1w": "1W", "1m": "1M", "3m": "3M", ytd: "YTD", "1y": "1Y" };
  const CHART_LABELS = { "3m": "3M", "6m": "6M", "1y": "1Y", "2y": "2Y", all: "All" };
  const SETS = [["universe", "Universe"], ["sectors", "Sectors"], ["watch", "Watchlist"]];
  const MINUS = "\u2212";
  const state = {
    view: "board",
    boardHorizon: "1m",
    pair: params.get("pair") || "",
    horizon: params.get("horizon") || "1y",
    set: params.get("set") || "universe",
    sets: ["universe", "sectors", "watch"],
    board: null,
    chart: null,
    pairData: null,
    mapData: null,
  };

  // -- formatting: the bot's number style (+6.84 %, −1.20 pp, n/a) --------------------
  function signed(value, digits) {
    if (value === null || value === undefined || !isFinite(value)) return "n/a";
    const text = Math.abs(value).toLocaleString("en-US", {
      minimumFractionDigits: digits, maximumFractionDigits: digits,
    });
    if (Number(text.replace(/,/g, "")) === 0) return (0).toFixed(digits);
    return (value > 0 ? "+" : MINUS) + text;
  }
  const pct = (fraction, digits = 2) =>
    fraction === null || fraction === undefined ? "n/a" : signed(100 * fraction, digits) + (isFinite(fraction) ? " %" : "");
  const pp = (points, digits = 2) =>
    points === null || points === undefined ? "n/a" : signed(points, digits) + (isFinite(points) ? " pp" : "");
  const tone = (value) => (value > 0 ? "up" : value < 0 ? "down" : "");
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }
  const $ = (id) => document.getElementById(id);

  // -- Telegram: theme and viewport ----------------------------------------------------
  function css(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }
  function applyTheme() {
    const theme = (tg && tg.themeParams) || {};
    const map = {
      bg_color: "--bg", text_color: "--text", hint_color: "--hint", link_color: "--link",
      button_color: "--button", button_text_color: "--button-text",
      secondary_bg_color: "--secondary-bg",
    };
    for (const [key, name] of Object.entries(map)) {
      if (theme[key]) document.documentElement.style.setProperty(name, theme[key]);
    }
    const dark = luminance(css("--bg")) < 0.5;
    document.documentElement.style.setProperty("--a-leads", dark ? "rgba(46, 160, 67, 0.13)" : "rgba(46, 160, 67, 0.16)");
    document.documentElement.style.setProperty("--b-leads", dark ? "rgba(218, 54, 51, 0.12)" : "rgba(218, 54, 51, 0.14)");
    if (state.pairData) drawPairChart(state.pairData);
    if (state.mapData) drawMap(state.mapData);
  }
  function luminance(color) {
    const hex = /^#?([0-9a-f]{6})$/i.exec(color);
    if (!hex) return 1;
    const n = parseInt(hex[1], 16);
    return (0.299 * (n >> 16) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255)) / 255;
  }
  function applyViewport() {
    const height = tg && tg.viewportStableHeight;
    if (height) document.documentElement.style.setProperty("--viewport", height + "px");
  }

  // -- the API --------------------------------------------------------------------------
  async function get(path) {
    const initData = (tg && tg.initData) || "";
    let response;
    try {
      response = await fetch(base + "api/" + path, { headers: { Authorization: "tma " + initData } });
    } catch (err) {
      throw new Error("The bot could not be reached; try again.");
    }
    let body = null;
    try {
      body = await response.json();
    } catch (err) {
      body = null;
    }
    if (!response.ok) throw new Error((body && body.error) || "The bot answered " + response.status + ".");
    return body;
  }
  function notice(text) {
    const node = $("notice");
    node.textContent = text || "";
    node.hidden = !text;
  }
  function asof(view, date) {
    for (const node of document.querySelectorAll(`[data-asof="${view}"]`)) {
      node.textContent = date ? `as of ${date} close` : "";
    }
  }

  // -- views ----------------------------------------------------------------------------
  function show(view) {
    state.view = view;
    for (const button of document.querySelectorAll("#tabs button")) {
      button.setAttribute("aria-selected", String(button.dataset.view === view));
    }
    for (const section of document.querySelectorAll(".view")) {
      section.hidden = section.id !== "view-" + view;
    }
    notice("");
    const load = { board: loadBoard, pair: loadPair, map: loadMap, subs: loadSubs }[view];
    load().catch((err) => notice(err.message));
  }

  function switchButtons(container, options, current, onPick, enabled) {
    container.replaceChildren(
      ...options.map(([value, label]) =>
        el("button", {
          type: "button",
          "data-value": value,
          "aria-pressed": String(value === current),
          ...(enabled && !enabled(value) ? { disabled: "" } : {}),
          onclick: () => onPick(value),
        }, label)
      )
    );
  }

  // Board: the /rotation scoreboard.
  async function loadBoard() {
    if (!state.board) state.board = await get("board");
    renderBoard();
  }
  function renderBoard() {
    const board = state.board;
    const h = state.boardHorizon;
    switchButtons($("board-horizons"), board.horizons.map((x) => [x, HORIZON_LABELS[x] || x]), h,
      (x) => { state.boardHorizon = x; renderBoard(); });
    const head = el("thead", {}, el("tr", {}, el("th", {}, ""), el("th", {}, HORIZON_LABELS[h]), el("th", {}, "YTD")));
    const rows = board.headline.map((x) =>
      el("tr", {}, el("td", {}, x.name), el("td", { class: tone(x.returns[h]) }, pct(x.returns[h])),
        el("td", { class: tone(x.returns.ytd) }, pct(x.returns.ytd))));
    $("headline").replaceChildren(head, el("tbody", {}, ...rows));
    $("board-pairs").replaceChildren(...board.pairs.map((p) => {
      const r = p.regime;
      const who = r.leader ? `${r.leader} leads since ${r.since} (${r.sessions} sessions)` : "no regime yet";
      const spread = p.spreads_pp[h];
      return el("li", { "data-pair": p.key, onclick: () => openPair(p.key) },
        el("div", { class: "top" }, el("span", { class: "key" }, p.key),
          el("span", { class: tone(spread) }, `${HORIZON_LABELS[h]} ${pp(spread)}`)),
        el("div", {}, p.label),
        el("div", { class: "sub" }, who + (p.fresh ? "" : ` · no close since ${p.last_date}`)),
        el("div", { class: "sub" }, `ratio ${pct(p.ratio_vs_trend)} vs its ${r.window}-session trend` +
          (p.stretched ? ` · stretched z ${signed(p.stretch_z, 2)}` : "")));
    }));
    const score = board.themes_total
      ? `Score: ${board.themes_favouring_challenger} of ${board.themes_total} themes led by the challenger.`
      : "No pair has a regime yet.";
    const breadth = board.breadth ? ` Breadth: ${board.breadth}.` : "";
    $("board-score").textContent = score + breadth;
    asof("board", board.asof);
  }

  // Pair: ratio, trend, bands, regime shading, flips, spreads.
  function openPair(key) {
    state.pair = key;
    show("pair");
  }
  async function loadPair() {
    if (!state.board) state.board = await get("board");
    const select = $("pair-select");
    if (!select.options.length) {
      select.replaceChildren(...state.board.pairs.map((p) => el("option", { value: p.key }, p.key)));
    }
    if (!state.pair) state.pair = state.board.lead_pair;
    if ([...select.options].some((o) => o.value === state.pair)) select.value = state.pair;
    const query = `pair=${encodeURIComponent(state.pair)}&horizon=${encodeURIComponent(state.horizon)}`;
    state.pairData = await get("pair?" + query);
    renderPair(state.pairData);
  }
  function renderPair(data) {
    const s = data.stats;
    const r = s.regime;
    $("pair-title").textContent = `${s.a} / ${s.b}`;
    $("pair-regime").textContent = r.leader
      ? `${r.leader} leads since ${r.since} (${r.sessions} sessions)` +
        (r.pending && r.pending_toward ? `, ${r.pending}/${r.confirm} closes toward ${r.pending_toward}` : "")
      : "No regime yet (not enough history).";
    switchButtons($("pair-horizons"), data.horizons.map((x) => [x, CHART_LABELS[x] || x]), data.horizon,
      (x) => { state.horizon = x; loadPair().catch((err) => notice(err.message)); });
    drawPairChart(data);
    const band = r.band === null ? "band n/a" : `±${pct(r.band).replace("+", "")} band` + (r.scaled ? " (scaled)" : "");
    $("pair-legend").textContent =
      `Ratio ${s.a}/${s.b}, its ${r.window}-session trend (dashed) and ${band}; ` +
      `shading: green ${s.a} leads, red ${s.b} leads; arrows: confirmed flips.`;
    const hs = Object.keys(HORIZON_LABELS);
    $("pair-spreads").replaceChildren(
      el("thead", {}, el("tr", {}, el("th", {}, "Spread"), ...hs.map((h) => el("th", {}, HORIZON_LABELS[h])))),
      el("tbody", {}, el("tr", {}, el("td", {}, `${s.a} − ${s.b}`),
        ...hs.map((h) => el("td", { class: tone(s.spreads_pp[h]) }, pp(s.spreads_pp[h]).replace(" pp", ""))))));
    const figures = [
      ["Ratio vs trend", pct(s.ratio_vs_trend)],
      ["Ratio vs 200-session trend", pct(s.ratio_vs_trend200)],
      ["Stretch (z of log ratio)", signed(s.stretch_z, 2) + (s.stretched ? " · stretched" : "")],
      ["Quadrant", s.quadrant || "n/a"],
    ];
    $("pair-figures").replaceChildren(el("tbody", {}, ...figures.map(([k, v]) => el("tr", {}, el("td", {}, k), el("td", {}, v)))));
    $("pair-flips").replaceChildren(
      ...(data.flips.length ? data.flips.map((f) => el("li", {}, `${f.date}: ${f.leader} took the lead`))
        : [el("li", {}, "none in this window")]));
    asof("pair", data.asof);
  }
  function chartColors() {
    return {
      layout: { background: { type: "solid", color: css("--bg") }, textColor: css("--text") },
      grid: { vertLines: { color: css("--secondary-bg") }, horzLines: { color: css("--secondary-bg") } },
    };
  }
  function drawPairChart(data) {
    const box = $("pair-chart");
    if (state.chart) {
      state.chart.remove();
      state.chart = null;
    }
    const chart = LWC.createChart(box, {
      autoSize: true,
      ...chartColors(),
      layout: { ...chartColors().layout, attributionLogo: true },
      rightPriceScale: { borderVisible: false },
      timeScale: { borderVisible: false },
      localization: { priceFormatter: (v) => Number(v).toPrecision(4) },
      handleScale: { axisPressedMouseMove: false },
    });
    state.chart = chart;
    const d = data.series;
    const points = (values) => d.dates.map((t, i) => (values[i] === null ? { time: t } : { time: t, value: values[i] }));
    const shade = chart.addSeries(LWC.HistogramSeries, {
      priceScaleId: "regime", priceLineVisible: false, lastValueVisible: false, base: 0,
    });
    chart.priceScale("regime").applyOptions({ scaleMargins: { top: 0, bottom: 0 }, visible: false });
    shade.setData(d.dates.map((t, i) => ({
      time: t, value: d.state[i] === 0 ? 0 : 1, color: d.state[i] > 0 ? css("--a-leads") : css("--b-leads"),
    })));
    const line = (color, style, width) => chart.addSeries(LWC.LineSeries, {
      color, lineStyle: style, lineWidth: width, priceLineVisible: false, lastValueVisible: false,
      crosshairMarkerVisible: false,
    });
    line(css("--hint"), LWC.LineStyle.Dotted, 1).setData(points(d.upper));
    line(css("--hint"), LWC.LineStyle.Dotted, 1).setData(points(d.lower));
    line(css("--hint"), LWC.LineStyle.Dashed, 1).setData(points(d.trend));
    const ratio = chart.addSeries(LWC.LineSeries, { color: css("--link"), lineWidth: 2, priceLineVisible: false });
    ratio.setData(points(d.ratio));
    LWC.createSeriesMarkers(ratio, data.flips.map((f) => {
      const up = f.leader === data.stats.a;
      return {
        time: f.date, position: up ? "belowBar" : "aboveBar", shape: up ? "arrowUp" : "arrowDown",
        color: up ? "#1f883d" : "#cf222e", text: data.flips.length <= 8 ? f.leader : "",
      };
    }));
    chart.timeScale().fitContent();
  }

  // Map: the strength quadrant with weekly tails (drawn as SVG: an x/y plot, not a time axis).
  async function loadMap() {
    switchButtons($("map-sets"), SETS, state.set, (x) => { state.set = x; loadMap().catch((err) => notice(err.message)); },
      (x) => state.sets.includes(x));
    state.mapData = await get("quadrant?set=" + encodeURIComponent(state.set));
    drawMap(state.mapData);
  }
  const QUAD_COLORS = { leading: "#1f883d", weakening: "#bf8700", lagging: "#cf222e", improving: "#0969da" };
  function drawMap(data) {
    const box = $("map-chart");
    const size = Math.max(240, Math.min(box.clientWidth || 360, 560));
    const pad = 28;
    const all = data.trails.flatMap((t) => [...t.tail, t.current]);
    const reach = (key) => Math.max(1, ...all.map((p) => Math.abs(p[key] - 100))) * 1.12;
    const rx = reach("strength");
    const ry = reach("momentum");
    const x = (v) => pad + ((v - (100 - rx)) / (2 * rx)) * (size - 2 * pad);
    const y = (v) => size - pad - ((v - (100 - ry)) / (2 * ry)) * (size - 2 * pad);
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", `0 0 ${size} ${size}`);
    svg.setAttribute("width", "100%");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", `Strength quadrant against ${data.benchmark}`);
    const add = (tag, attrs, text) => {
      const node = document.createElementNS(ns, tag);
      for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
      if (text !== undefined) node.textContent = text;
      svg.append(node);
      return node;
    };
    const cx = x(100);
    const cy = y(100);
    const quads = [
      ["leading", cx, pad, size - pad - cx, cy - pad, "Leading", size - pad - 4, pad + 14, "end"],
      ["weakening", cx, cy, size - pad - cx, size - pad - cy, "Weakening", size - pad - 4, size - pad - 6, "end"],
      ["lagging", pad, cy, cx - pad, size - pad - cy, "Lagging", pad + 4, size - pad - 6, "start"],
      ["improving", pad, pad, cx - pad, cy - pad, "Improving", pad + 4, pad + 14, "start"],
    ];
    for (const [name, qx, qy, w, h, label, lx, ly, anchor] of quads) {
      add("rect", { x: qx, y: qy, width: Math.max(0, w), height: Math.max(0, h), fill: QUAD_COLORS[name], "fill-opacity": 0.07 });
      add("text", { x: lx, y: ly, "text-anchor": anchor, class: "quad-label" }, label);
    }
    add("line", { x1: pad, y1: cy, x2: size - pad, y2: cy, class: "axis" });
    add("line", { x1: cx, y1: pad, x2: cx, y2: size - pad, class: "axis" });
    add("text", { x: size / 2, y: size - 6, "text-anchor": "middle" }, `strength vs ${data.benchmark} →`);
    add("text", { x: 10, y: size / 2, transform: `rotate(-90 10 ${size / 2})`, "text-anchor": "middle" }, "momentum →");
    for (const t of data.trails) {
      const color = QUAD_COLORS[t.current.quadrant];
      const pts = [...t.tail, t.current].map((p) => `${x(p.strength).toFixed(1)},${y(p.momentum).toFixed(1)}`);
      add("polyline", { points: pts.join(" "), class: "tail", stroke: color });
      for (const p of t.tail) add("circle", { cx: x(p.strength), cy: y(p.momentum), r: 1.8, fill: color });
      add("circle", { cx: x(t.current.strength), cy: y(t.current.momentum), r: 4.5, fill: color, "data-key": t.key });
      add("text", { x: x(t.current.strength) + 6, y: y(t.current.momentum) - 5 }, t.key);
    }
    box.replaceChildren(svg);
    const titles = { sectors: "Sector rotation", watch: "Your watchlist" };
    $("map-title").textContent = `${titles[data.set] || "Strength quadrant"} vs ${data.benchmark}`;
    const late = (data.late || []).map((l) => `${l.symbol} (${l.last_date ? "as of " + l.last_date : "no close yet"})`);
    const empty = data.set === "watch" && !data.trails.length && !late.length;
    $("map-legend").textContent =
      (empty ? "Your watchlist is empty: /watch add SYM in the chat adds symbols. " : "") +
      `Strength = 100 · ratio to ${data.benchmark} / its ${data.ema}-session exponential trend; ` +
      `momentum = 100 · strength / strength ${data.momentum_shift} sessions earlier. ` +
      `Tails: the last ${data.tail_weeks} weeks, one dot a week.` +
      (late.length ? ` Late: ${late.join(", ")}.` : "");
    const rows = [...data.trails].sort((a, b) => b.current.strength - a.current.strength).map((t) =>
      el("tr", {}, el("td", {}, t.key), el("td", {}, t.current.quadrant),
        el("td", {}, t.current.strength.toFixed(2)), el("td", {}, t.current.momentum.toFixed(2))));
    $("map-table").replaceChildren(
      el("thead", {}, el("tr", {}, el("th", {}, "Symbol"), el("th", {}, "Quadrant"), el("th", {}, "Strength"), el("th", {}, "Momentum"))),
      el("tbody", {}, ...rows));
    asof("map", data.asof);
  }

  // Subscriptions: what this chat follows (read-only).
  async function loadSubs() {
    const data = await get("subscriptions");
    $("subs-title").textContent = data.chat === "group" ? "This group follows" : "You follow";
    $("subs-list").replaceChildren(
      ...(data.subscriptions.length ? data.subscriptions.map((s) => el("li", {}, `${s.kind} ${s.target}`))
        : [el("li", {}, "nothing yet: try /subscribe in the chat")]));
    $("subs-pairs").textContent = data.pairs.length ? `Pairs covered: ${data.pairs.join(", ")}` : "";
    asof("subs", data.asof);
  }

  // -- start ----------------------------------------------------------------------------
  function start() {
    if (tg) {
      tg.ready();
      tg.expand();
      tg.onEvent("themeChanged", applyTheme);
      tg.onEvent("viewportChanged", applyViewport);
    }
    applyTheme();
    applyViewport();
    for (const button of document.querySelectorAll("#tabs button")) {
      button.addEventListener("click", () => show(button.dataset.view));
    }
    $("pair-select").addEventListener("change", (event) => openPair(event.target.value));
    $("pair-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const typed = $("pair-input").value.trim();
      if (typed) openPair(typed);
    });
    if (!tg || !tg.initData) {
      notice("Open this page from the bot in Telegram (the Rotation button or the menu).");
      return;
    }
    const first = params.get("view");
    show(["board", "pair", "map", "subs"].includes(first) ? first : "board");
  }
  start();
})();
