/* The map page: hazard areas and settlements from our own vector tiles, a colour switch,
   and a side panel with an area's record, evidence, activities and forecast. */
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("lr-config").textContent);
  const origin = window.location.origin;

  const STATUS_COLOURS = {
    open: "#c62828", in_progress: "#ef6c00", cancelled: "#7cb342", reduced: "#43a047",
    cleared: "#2e7d32", released: "#1b5e20",
  };
  const MISSING = "#9e9e9e";
  const [PLO, PHI] = config.priorityRange || [0, 1];
  const PHASE_COLOURS = ["#3949ab", "#1e88e5", "#00acc1", "#43a047", "#c0ca33", "#fdd835", "#fb8c00", "#e53935"];

  const colourings = {
    status: {
      expr: ["match", ["get", "status"], ...Object.entries(STATUS_COLOURS).flat(), MISSING],
      legend: Object.entries(STATUS_COLOURS).map(([k, v]) => [k.replace("_", " "), v]),
    },
    priority: {
      expr: ["case", ["has", "priority"],
        ["interpolate", ["linear"], ["get", "priority"], PLO, "#fff3b0", (PLO + PHI) / 2, "#f08c3a", PHI, "#8e1b10"],
        MISSING],
      legend: [["low", "#fff3b0"], ["medium", "#f08c3a"], ["high", "#8e1b10"], ["not yet computed", MISSING]],
    },
    p_any: {
      expr: ["case", ["has", "p_any"],
        ["interpolate", ["linear"], ["get", "p_any"], 0, "#edf8e9", 0.05, "#fdae6b", 0.3, "#e6550d", 1, "#7f2704"],
        MISSING],
      legend: [["p < 5 %", "#edf8e9"], ["5–30 %", "#fdae6b"], ["≥ 30 %", "#e6550d"], ["near certain", "#7f2704"],
        ["not yet computed", MISSING]],
    },
    phase: {
      expr: ["case", ["has", "phase"],
        ["step", ["get", "phase"], PHASE_COLOURS[0], 2, PHASE_COLOURS[1], 3, PHASE_COLOURS[2], 4, PHASE_COLOURS[3],
          5, PHASE_COLOURS[4], 7, PHASE_COLOURS[5], 9, PHASE_COLOURS[6], 13, PHASE_COLOURS[7]], MISSING],
      legend: [["quarter 1", PHASE_COLOURS[0]], ["quarter 2", PHASE_COLOURS[1]], ["quarter 3", PHASE_COLOURS[2]],
        ["quarter 4", PHASE_COLOURS[3]], ["year 2", PHASE_COLOURS[4]], ["later", PHASE_COLOURS[7]],
        ["not planned yet", MISSING]],
    },
  };

  const layers = [
    { id: "background", type: "background", paint: { "background-color": "#eef0e8" } },
  ];
  const sources = {
    hazards: { type: "vector", tiles: [origin + "/tiles/hazard-areas/{z}/{x}/{y}.mvt"], minzoom: 0, maxzoom: 16 },
    settlements: { type: "vector", tiles: [origin + "/tiles/settlements/{z}/{x}/{y}.mvt"], minzoom: 0, maxzoom: 16 },
  };
  if (config.basemapUrl) {
    sources.basemap = { type: "raster", tiles: [config.basemapUrl], tileSize: 256 };
    layers.push({ id: "basemap", type: "raster", source: "basemap" });
  }
  layers.push(
    { id: "settlement-fill", type: "fill", source: "settlements", "source-layer": "settlements",
      paint: { "fill-color": "#5d6d7e", "fill-opacity": 0.35 } },
    { id: "settlement-line", type: "line", source: "settlements", "source-layer": "settlements",
      paint: { "line-color": "#34495e", "line-width": 1 } },
    { id: "settlement-points", type: "circle", source: "settlements", "source-layer": "settlement-points",
      paint: { "circle-color": "#5d6d7e", "circle-radius": 3 } },
    { id: "hazard-fill", type: "fill", source: "hazards", "source-layer": "hazard-areas",
      paint: { "fill-color": colourings.status.expr, "fill-opacity": 0.75 } },
    { id: "hazard-line", type: "line", source: "hazards", "source-layer": "hazard-areas",
      paint: { "line-color": "#3e2723", "line-width": ["interpolate", ["linear"], ["zoom"], 8, 0.2, 14, 1.2] } },
    { id: "hazard-points", type: "circle", source: "hazards", "source-layer": "hazard-points",
      paint: { "circle-color": colourings.status.expr,
        "circle-radius": ["interpolate", ["linear"], ["zoom"], 6, 1.5, 12, 4],
        "circle-stroke-width": 0.3, "circle-stroke-color": "#3e2723" } },
    { id: "hazard-selected", type: "line", source: "hazards", "source-layer": "hazard-areas",
      filter: ["==", ["get", "code"], ""], paint: { "line-color": "#000", "line-width": 3 } },
  );

  const mapOptions = {
    container: "map",
    style: { version: 8, sources: sources, layers: layers },
    attributionControl: false,
    center: [0, 0], zoom: 1,
  };
  if (config.extent) {
    const e = config.extent;
    mapOptions.bounds = [[e[0], e[1]], [e[2], e[3]]];
    mapOptions.fitBoundsOptions = { padding: 20 };
  }
  const map = new maplibregl.Map(mapOptions);
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "bottom-left");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-right");
  window.lrMap = map;
  window.lrFirstRenderMs = null;
  const t0 = performance.now();
  map.once("idle", () => {
    window.lrFirstRenderMs = performance.now() - t0;
    window.lrFirstRenderAt = performance.now(); // since navigation started
    document.body.dataset.mapReady = "1";
  });

  // ------------------------------------------------------------ colour switch
  function setColouring(mode) {
    const c = colourings[mode] || colourings.status;
    map.setPaintProperty("hazard-fill", "fill-color", c.expr);
    map.setPaintProperty("hazard-points", "circle-color", c.expr);
    const legend = document.getElementById("legend");
    const rows = c.legend.map(([label, colour]) => {
      const row = document.createElement("div");
      const swatch = document.createElement("i");
      swatch.style.background = colour;
      row.append(swatch, document.createTextNode(label));
      return row;
    });
    if (window.lrReadiness) {
      for (const [status, colour] of Object.entries(READINESS_COLOURS)) {
        const row = document.createElement("div");
        row.className = "readiness";
        const swatch = document.createElement("i");
        swatch.style.background = colour;
        row.append(swatch, document.createTextNode("settlement " + status));
        rows.push(row);
      }
    }
    legend.replaceChildren(...rows);
    document.body.dataset.colouring = mode;
  }
  document.querySelectorAll("input[name=colour]").forEach((input) =>
    input.addEventListener("change", () => setColouring(input.value)));
  map.on("load", () => setColouring("status"));
  // After the first full draw: on a national register the server needs a few seconds the
  // first time (every open area is linked to its settlements), and the map must not wait.
  map.once("idle", () => colourSettlementsByReadiness());

  /* Settlements by readiness: green when no open hazard area holds them up, orange while
     they wait for a forecast release, grey where no forecast exists yet. */
  const READINESS_COLOURS = { ready: "#2e7d32", waiting: "#ef6c00", unknown: "#90a4ae" };
  async function colourSettlementsByReadiness() {
    let d;
    try {
      d = await getJSON("/api/stats/readiness");
    } catch (err) {
      return;
    }
    if (!d.available) return;
    const expr = ["match", ["get", "code"]];
    for (const [status, colour] of Object.entries(READINESS_COLOURS)) {
      const codes = d.settlements.filter((x) => x.status === status).map((x) => x.code);
      if (codes.length) expr.push(codes, colour);
    }
    expr.push(READINESS_COLOURS.unknown);
    if (expr.length > 3) {
      map.setPaintProperty("settlement-fill", "fill-color", expr);
      map.setPaintProperty("settlement-points", "circle-color", expr);
      map.setPaintProperty("settlement-fill", "fill-opacity", 0.55);
    }
    window.lrReadiness = d.settlements;
    setColouring(document.body.dataset.colouring || "status");
  }
  window.lrSetColouring = setColouring;

  // ------------------------------------------------------------ side panel
  const panel = document.getElementById("panel");
  const body = document.getElementById("panel-body");
  document.getElementById("panel-close").addEventListener("click", () => {
    panel.hidden = true;
    map.setFilter("hazard-selected", ["==", ["get", "code"], ""]);
  });

  function el(tag, text, attrs) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    return node;
  }
  function table(rows) {
    const t = el("table");
    rows.filter(([, v]) => v !== undefined && v !== null && v !== "").forEach(([k, v]) => {
      const tr = el("tr");
      tr.append(el("td", k), el("td", v));
      t.append(tr);
    });
    return t;
  }
  async function getJSON(path) {
    const r = await fetch(path, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!r.ok) throw new Error(path + ": " + r.status);
    return r.json();
  }
  const fmt = (n, d) => (n === null || n === undefined ? "" : Number(n).toLocaleString("en", { maximumFractionDigits: d }));

  async function showArea(code) {
    panel.hidden = false;
    body.replaceChildren(el("p", "Loading " + code + "…", { class: "muted" }));
    map.setFilter("hazard-selected", ["==", ["get", "code"], code]);
    const enc = encodeURIComponent(code);
    try {
      const [area, evidence, activities, forecast] = await Promise.all([
        getJSON("/api/hazard-areas/" + enc), getJSON("/api/hazard-areas/" + enc + "/evidence"),
        getJSON("/api/hazard-areas/" + enc + "/activities"), getJSON("/api/hazard-areas/" + enc + "/forecast"),
      ]);
      const p = area.properties;
      const parts = [el("h2", p.code + (p.name ? " · " + p.name : ""), { id: "panel-title" })];
      const badge = el("span", p.status.replace("_", " "), { class: "badge" });
      badge.style.background = STATUS_COLOURS[p.status] || MISSING;
      parts.push(badge);
      parts.push(el("h3", "Record"));
      parts.push(table([
        ["kind", p.kind], ["land use", p.land_use.replace("_", " ")], ["area", fmt(p.area_m2, 0) + " m²"],
        ["operator", p.operator], ["region", p.region], ["EO types", (p.eo_types || []).join(", ")],
        ["priority", p.priority_score === null ? "not yet computed" : fmt(p.priority_score, 3)],
        ["contamination p", p.p_any === undefined ? "not yet computed" : fmt(100 * p.p_any, 1) + " %"],
        ["metal clutter", p.clutter], ["vegetation", p.vegetation], ["slope", fmt(p.slope_deg, 1) + "°"],
        ["machines can work", p.machine_accessible ? "yes" : "no"], ["version", p.version],
      ]));
      parts.push(el("h3", "Evidence (" + evidence.total + ")"));
      if (evidence.items.length) {
        const ul = el("ul");
        evidence.items.slice(0, 50).forEach((f) => {
          const e = f.properties;
          const bits = [e.kind.replace("_", " ")];
          if (e.date) bits.push(e.date);
          if (e.reliability !== null && e.reliability !== undefined) bits.push("reliability " + fmt(e.reliability, 2));
          if (e.eo_type) bits.push(e.eo_type.replace("_", " "));
          if (e.positive === false) bits.push("negative");
          if (e.source) bits.push(e.source);
          ul.append(el("li", bits.join(" · ")));
        });
        parts.push(ul);
      } else parts.push(el("p", "none recorded", { class: "muted" }));
      parts.push(el("h3", "Activities (" + activities.total + ")"));
      if (activities.items.length) {
        const ul = el("ul");
        activities.items.forEach((a) => ul.append(el("li", [a.kind.toUpperCase(), a.start_date, a.end_date || "ongoing",
          a.team || "", fmt(a.area_processed_m2, 0) + " m²", a.finds.length + " finds"].filter(Boolean).join(" · "))));
        parts.push(ul);
      } else parts.push(el("p", "none recorded", { class: "muted" }));
      parts.push(el("h3", "Forecast"));
      if (forecast.available) {
        const f = forecast.forecast;
        if (f && typeof f === "object") parts.push(table(Object.entries(f).map(([k, v]) => [k.replace("_", " "), typeof v === "object" ? JSON.stringify(v) : v])));
        else parts.push(el("p", String(f)));
      } else parts.push(el("p", forecast.message || "not yet computed", { class: "muted", id: "forecast-none" }));
      body.replaceChildren(...parts);
      body.dataset.code = code;
    } catch (err) {
      body.replaceChildren(el("p", "Could not load " + code + ": " + err.message, { class: "error" }));
    }
  }
  window.lrShowArea = showArea;

  /* A settlement's readiness: joint P10/P50/P90 over the forecast's runs (the latest release
     among its blocking areas in each run) and the areas last in most runs. */
  function showSettlement(code) {
    const s = (window.lrReadiness || []).find((x) => x.code === code);
    panel.hidden = false;
    if (!s) {
      body.replaceChildren(el("h2", code, { id: "panel-title" }), el("p", "readiness not yet computed", { class: "muted" }));
      return;
    }
    const parts = [el("h2", s.name + " (" + s.code + ")", { id: "panel-title" })];
    const badge = el("span", s.status, { class: "badge" });
    badge.style.background = READINESS_COLOURS[s.status] || READINESS_COLOURS.unknown;
    parts.push(badge);
    parts.push(el("h3", "Can come back (joint quantiles over runs)"));
    const when = (v) => v || (s.status === "ready" ? "now" : "unknown");
    parts.push(table([
      ["displaced", fmt(s.displaced, 0)], ["P10", when(s.p10)], ["P50", when(s.p50)], ["P90", when(s.p90)],
      ["blocking areas", String(s.blocking.length)],
      ["reconstruction last", s.reconstruction_last ? fmt(100 * s.reconstruction_last, 0) + " % of runs" : ""],
    ]));
    if (s.critical && s.critical.length) {
      parts.push(el("h3", "Critical areas (share of runs in which last)"));
      const ul = el("ul", null, { id: "settlement-critical" });
      s.critical.forEach((c) => {
        const li = el("li");
        const a = el("a", c.code, { href: "#" });
        a.addEventListener("click", (e) => { e.preventDefault(); showArea(c.code); });
        li.append(a, document.createTextNode(" · " + fmt(100 * c.share, 0) + " %"));
        ul.append(li);
      });
      parts.push(ul);
    }
    body.replaceChildren(...parts);
    body.dataset.code = code;
  }
  window.lrShowSettlement = showSettlement;

  map.on("click", (ev) => {
    const pad = 4;
    const box = [[ev.point.x - pad, ev.point.y - pad], [ev.point.x + pad, ev.point.y + pad]];
    const hits = map.queryRenderedFeatures(box, { layers: ["hazard-fill", "hazard-points"] });
    if (hits.length && hits[0].properties.code) { showArea(hits[0].properties.code); return; }
    const towns = map.queryRenderedFeatures(box, { layers: ["settlement-fill", "settlement-points"] });
    if (towns.length && towns[0].properties.code) showSettlement(towns[0].properties.code);
  });
  ["hazard-fill", "hazard-points"].forEach((id) => {
    map.on("mouseenter", id, () => { map.getCanvas().style.cursor = "pointer"; });
    map.on("mouseleave", id, () => { map.getCanvas().style.cursor = ""; });
  });
})();
