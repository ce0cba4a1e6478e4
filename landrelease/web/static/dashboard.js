/* The dashboards: each chart asks its endpoint and says "not yet computed" where the engine
   behind it has produced nothing yet. */
(function () {
  "use strict";
  const C = window.lrCharts;
  const METHOD_COLOURS = { cancelled: "#9ccc65", reduced: "#43a047", cleared: "#1b5e20" };
  async function get(path) {
    const r = await fetch(path, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!r.ok) throw new Error(path + ": " + r.status);
    return r.json();
  }
  function guard(id, work) {
    const box = document.getElementById(id);
    work(box).catch((err) => C.none(box, "could not load: " + err.message));
  }

  guard("chart-summary", async (box) => {
    const inv = await get("/api/stats/summary");
    const entries = Object.entries(inv.hazard_areas_by_land_use || {}).sort((a, b) => b[1][1] - a[1][1]);
    if (!entries.length) return C.none(box, "the register is empty");
    C.bars(box, entries.map(([k]) => k.replace("_", " ")), entries.map(([, v]) => v[1]), "#b3401e", "km²");
    const p = document.createElement("p");
    p.className = "muted";
    p.textContent = `${inv.hazard_areas.toLocaleString("en")} hazard areas, ${inv.total_km2.toFixed(1)} km², ` +
      `${inv.settlements} settlements`;
    box.append(p);
  });

  guard("chart-released", async (box) => {
    const d = await get("/api/stats/released");
    if (!d.available) return C.none(box, d.message);
    C.stackedBars(box, d.months, d.series, METHOD_COLOURS, "km²");
  });

  guard("chart-burndown", async (box) => {
    const d = await get("/api/stats/burndown");
    if (!d.available) return C.none(box, "not yet computed");
    const months = Array.from(new Set(d.actual.map((a) => a.month).concat((d.band || []).map((b) => b.month)))).sort();
    const byMonth = Object.fromEntries(d.actual.map((a) => [a.month, a.km2]));
    C.lineBand(box, months, months.map((m) => (m in byMonth ? byMonth[m] : null)), d.band, "km² open");
    if (!d.band) {
      const p = document.createElement("p");
      p.className = "muted";
      p.textContent = "forecast band: " + (d.band_message || "not yet computed");
      box.append(p);
    }
    const cov = d.band_coverage;
    const q = document.createElement("p");
    q.className = "muted";
    q.id = "band-coverage";
    q.textContent = cov && cov.available
      ? `How often the band held: in a backtest against ${cov.years_scored} published programme-years ` +
        `(${cov.programmes_scored.join(", ")}), ${Math.round(cov.coverage * 100)} % lay inside P10–P90 ` +
        `(an honest band: about 80 %); the band's top was ${cov.sharpness.toFixed(1)} times its bottom.`
      : "How often the band held: " + ((cov && cov.message) || "not yet computed");
    box.append(q);
  });

  guard("chart-utilisation", async (box) => {
    const d = await get("/api/stats/utilisation");
    if (!d.available) return C.none(box, d.message);
    C.heatmap(box, d.teams.slice(0, 10), d.months, d.share);
  });

  guard("chart-eore", async (box) => {
    const d = await get("/api/eore");
    if (!d.sessions) return C.none(box, "no risk education sessions recorded");
    const label = { "0-17": "children", "18-59": "adults", "60+": "older", unknown: "age unknown" };
    C.bars(box, d.by_sex_age.map((r) => `${r.sex} ${label[r.age_band] || r.age_band}`), d.by_sex_age.map((r) => r.people),
      "#6a1b9a", "people");
    const p = document.createElement("p");
    p.className = "muted";
    p.textContent = `${d.sessions} session(s), ${d.beneficiaries.toLocaleString("en")} people; by method: ` +
      Object.entries(d.by_method).map(([m, n]) => `${m.replace(/_/g, " ")} ${n.toLocaleString("en")}`).join(", ");
    box.append(p);
  });

  /* Settlements by date they can come back: joint quantiles over the forecast's runs, the
     critical areas, the accepted consolidations and the housing allocation in figures. */
  guard("chart-returns", async (box) => {
    const d = await get("/api/stats/returns");
    if (!d.available) return C.none(box, "no settlements in the register");
    const table = document.createElement("table");
    table.className = "returns";
    const head = document.createElement("tr");
    ["settlement", "status", "P10", "P50", "P90", "critical (share of runs last)"].forEach((h) => {
      const th = document.createElement("th");
      th.textContent = h;
      head.append(th);
    });
    table.append(head);
    d.settlements.slice(0, 12).forEach((s) => {
      const tr = document.createElement("tr");
      const when = (v) => v || (s.status === "ready" ? "now" : "–");
      [s.name + " (" + s.code + ")", s.status, when(s.p10), when(s.p50), when(s.p90),
        s.critical.map((c) => c.code + " " + Math.round(100 * c.share) + " %").join(", ")].forEach((v) => {
        const td = document.createElement("td");
        td.textContent = v;
        tr.append(td);
      });
      table.append(tr);
    });
    box.replaceChildren(table);
    const p = document.createElement("p");
    p.className = "muted";
    const parts = [];
    d.consolidations.forEach((c) => parts.push(`${c.name} consolidates ${c.former.map((f) => f.name).join(", ")}`));
    if (d.households) parts.push(`${d.housed} of ${d.households} households housed, ${d.waiting} waiting`);
    p.textContent = parts.join("; ") || "no consolidation accepted, no households registered";
    box.append(p);
  });

  guard("chart-scenarios", async (box) => {
    const d = await get("/api/stats/scenarios");
    if (!d.available) return C.none(box, d.message);
    C.bars(box, d.scenarios.map((s) => s.name), d.scenarios.map((s) => s.p50), "#1565c0", d.unit || "",
      d.scenarios.map((s) => [s.p10, s.p90]));
  });
})();
