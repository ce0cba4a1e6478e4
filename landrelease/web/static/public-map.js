/* The public safety map: open hazard areas from the public tiles (code, kind, status only).
   No sign-in; nothing else of the register is asked for. */
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("lr-config").textContent);
  const origin = window.location.origin;
  const STATUS_COLOURS = { open: "#c0392b", in_progress: "#e67e22" };
  const colour = ["match", ["get", "status"], "open", STATUS_COLOURS.open, "in_progress", STATUS_COLOURS.in_progress, "#c0392b"];
  const sources = {
    hazards: { type: "vector", tiles: [origin + "/tiles/hazard-areas/{z}/{x}/{y}.mvt"], minzoom: 0, maxzoom: 16 },
  };
  const layers = [{ id: "background", type: "background", paint: { "background-color": "#eef0e8" } }];
  if (config.basemapUrl) {
    sources.basemap = { type: "raster", tiles: [config.basemapUrl], tileSize: 256 };
    layers.push({ id: "basemap", type: "raster", source: "basemap" });
  }
  layers.push(
    { id: "hazard-fill", type: "fill", source: "hazards", "source-layer": "hazard-areas",
      paint: { "fill-color": colour, "fill-opacity": 0.7 } },
    { id: "hazard-line", type: "line", source: "hazards", "source-layer": "hazard-areas",
      paint: { "line-color": "#3e2723", "line-width": 1 } },
    { id: "hazard-points", type: "circle", source: "hazards", "source-layer": "hazard-points",
      paint: { "circle-color": colour, "circle-radius": 4, "circle-stroke-width": 0.5, "circle-stroke-color": "#3e2723" } },
  );
  const options = { container: "map", style: { version: 8, sources: sources, layers: layers }, attributionControl: false,
    center: [0, 0], zoom: 1 };
  if (config.extent) {
    const e = config.extent;
    options.bounds = [[e[0], e[1]], [e[2], e[3]]];
    options.fitBoundsOptions = { padding: 20 };
  }
  const map = new maplibregl.Map(options);
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "bottom-left");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-right");
  window.lrMap = map;
  map.once("idle", () => { document.body.dataset.mapReady = "1"; });

  const panel = document.getElementById("panel");
  const body = document.getElementById("panel-body");
  document.getElementById("panel-close").addEventListener("click", () => { panel.hidden = true; });
  function row(label, value) {
    const tr = document.createElement("tr");
    const th = document.createElement("th");
    th.textContent = label;
    const td = document.createElement("td");
    td.textContent = value;
    tr.append(th, td);
    return tr;
  }
  map.on("click", (ev) => {
    const box = [[ev.point.x - 4, ev.point.y - 4], [ev.point.x + 4, ev.point.y + 4]];
    const hits = map.queryRenderedFeatures(box, { layers: ["hazard-fill", "hazard-points"] });
    if (!hits.length) return;
    const p = hits[0].properties;
    const h = document.createElement("h2");
    h.id = "panel-title";
    h.textContent = p.code;
    const t = document.createElement("table");
    t.append(row("kind", p.kind), row("status", String(p.status).replace("_", " ")));
    const note = document.createElement("p");
    note.className = "muted";
    note.textContent = "Danger may remain: do not enter. The outline is approximate.";
    body.replaceChildren(h, t, note);
    panel.hidden = false;
  });
})();
