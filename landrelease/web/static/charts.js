/* Small SVG charts for the dashboards: stacked bars, a line with a band, a heat map, bars.
   Hand-written so that nothing is loaded from outside the package. */
(function () {
  "use strict";
  const NS = "http://www.w3.org/2000/svg";
  const W = 640, H = 300, M = { top: 14, right: 16, bottom: 46, left: 56 };

  function svg(tag, attrs, text) {
    const node = document.createElementNS(NS, tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function frame(container) {
    const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img" });
    container.replaceChildren(root);
    return root;
  }
  function niceMax(v) {
    if (!(v > 0)) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
    return 10 * p;
  }
  function fmt(v) {
    if (Math.abs(v) >= 100) return v.toFixed(0);
    if (Math.abs(v) >= 1) return v.toFixed(1);
    return v.toPrecision(2);
  }
  function yAxis(root, max, label) {
    const ih = H - M.top - M.bottom;
    for (let i = 0; i <= 4; i++) {
      const v = (max * i) / 4, y = M.top + ih - (ih * i) / 4;
      root.append(svg("line", { x1: M.left, x2: W - M.right, y1: y, y2: y, stroke: "#e3e6e8" }));
      root.append(svg("text", { x: M.left - 6, y: y + 4, "text-anchor": "end", fill: "#5c6b73" }, fmt(v)));
    }
    if (label) root.append(svg("text", { x: 12, y: M.top + ih / 2, transform: `rotate(-90 12 ${M.top + ih / 2})`,
      "text-anchor": "middle", fill: "#5c6b73" }, label));
  }
  function xLabels(root, labels, x, every) {
    labels.forEach((l, i) => {
      if (i % every) return;
      const anchor = i === 0 && labels.length > 1 ? "start" : i === labels.length - 1 && i > 0 ? "end" : "middle";
      root.append(svg("text", { x: x(i), y: H - M.bottom + 16, "text-anchor": anchor, fill: "#5c6b73" }, l));
    });
  }
  function keys(container, entries) {
    const div = document.createElement("div");
    div.className = "keys";
    entries.forEach(([label, colour]) => {
      const span = document.createElement("span");
      const i = document.createElement("i");
      i.style.background = colour;
      span.append(i, document.createTextNode(label));
      div.append(span);
    });
    container.append(div);
  }
  function none(container, message) {
    const p = document.createElement("p");
    p.className = "none";
    p.textContent = message || "not yet computed";
    container.replaceChildren(p);
  }

  /* Stacked bars: categories along x, one stacked series per key. */
  function stackedBars(container, categories, series, colours, unit) {
    const root = frame(container);
    const names = Object.keys(series);
    const totals = categories.map((_, i) => names.reduce((s, n) => s + (series[n][i] || 0), 0));
    const max = niceMax(Math.max(...totals));
    const iw = W - M.left - M.right, ih = H - M.top - M.bottom;
    const bw = iw / Math.max(categories.length, 1);
    yAxis(root, max, unit);
    categories.forEach((c, i) => {
      let base = 0;
      names.forEach((n) => {
        const v = series[n][i] || 0;
        if (v <= 0) return;
        const h = (ih * v) / max, y = M.top + ih - (ih * (base + v)) / max;
        const r = svg("rect", { x: M.left + i * bw + bw * 0.12, y, width: bw * 0.76, height: h, fill: colours[n] || "#888" });
        r.append(svg("title", {}, `${c} ${n}: ${fmt(v)} ${unit || ""}`));
        root.append(r);
        base += v;
      });
    });
    xLabels(root, categories, (i) => M.left + i * bw + bw / 2, Math.ceil(categories.length / 8));
    keys(container, names.map((n) => [n, colours[n] || "#888"]));
    return root;
  }

  /* A line (the record so far) and, where given, a P10–P90 band with its P50 line. */
  function lineBand(container, labels, actual, band, unit) {
    const root = frame(container);
    const values = actual.filter((v) => v !== null).concat(band ? band.flatMap((b) => [b.p10, b.p90]) : []);
    const max = niceMax(Math.max(...values, 0));
    const iw = W - M.left - M.right, ih = H - M.top - M.bottom;
    const x = (i) => M.left + (labels.length > 1 ? (iw * i) / (labels.length - 1) : iw / 2);
    const y = (v) => M.top + ih - (ih * v) / max;
    yAxis(root, max, unit);
    if (band) {
      const idx = band.map((b) => labels.indexOf(b.month));
      const top = band.map((b, k) => `${x(idx[k])},${y(b.p90)}`);
      const bottom = band.map((b, k) => `${x(idx[k])},${y(b.p10)}`).reverse();
      root.append(svg("polygon", { points: top.concat(bottom).join(" "), fill: "#90caf9", opacity: 0.55 }));
      root.append(svg("polyline", { points: band.map((b, k) => `${x(idx[k])},${y(b.p50)}`).join(" "), fill: "none",
        stroke: "#1565c0", "stroke-width": 2, "stroke-dasharray": "5 4" }));
    }
    const pts = actual.map((v, i) => (v === null ? null : `${x(i)},${y(v)}`)).filter(Boolean);
    if (pts.length) root.append(svg("polyline", { points: pts.join(" "), fill: "none", stroke: "#b3401e", "stroke-width": 2.5 }));
    actual.forEach((v, i) => {
      if (v === null) return;
      const dot = svg("circle", { cx: x(i), cy: y(v), r: 3.5, fill: "#b3401e" });
      dot.append(svg("title", {}, `${labels[i]}: ${fmt(v)} ${unit || ""}`));
      root.append(dot);
    });
    xLabels(root, labels, x, Math.ceil(labels.length / 8));
    const k = [["record", "#b3401e"]];
    if (band) k.push(["forecast P50", "#1565c0"], ["P10–P90", "#90caf9"]);
    keys(container, k);
    return root;
  }

  /* A heat map: rows × columns of shares 0…1. */
  function heatmap(container, rows, cols, values) {
    const root = frame(container);
    const left = 90, iw = W - left - M.right, ih = H - M.top - M.bottom;
    const cw = iw / Math.max(cols.length, 1), rh = Math.min(26, ih / Math.max(rows.length, 1));
    rows.forEach((r, i) => {
      root.append(svg("text", { x: left - 6, y: M.top + i * rh + rh * 0.68, "text-anchor": "end", fill: "#5c6b73" }, r));
      cols.forEach((c, j) => {
        const v = values[r][j] || 0;
        const cell = svg("rect", { x: left + j * cw + 1, y: M.top + i * rh + 1, width: cw - 2, height: rh - 2,
          fill: `rgba(21, 101, 192, ${0.08 + 0.92 * v})` });
        cell.append(svg("title", {}, `${r} ${c}: ${Math.round(100 * v)} %`));
        root.append(cell);
      });
    });
    cols.forEach((c, j) => {
      if (j % Math.ceil(cols.length / 8)) return;
      root.append(svg("text", { x: left + j * cw + cw / 2, y: M.top + rows.length * rh + 14, "text-anchor": "middle",
        fill: "#5c6b73" }, c));
    });
    keys(container, [["0 %", "rgba(21,101,192,0.08)"], ["50 %", "rgba(21,101,192,0.54)"], ["100 %", "rgba(21,101,192,1)"]]);
    return root;
  }

  /* Horizontal bars with a P10–P90 whisker each (scenario comparison, register summary). */
  function bars(container, labels, values, colour, unit, whiskers) {
    const root = frame(container);
    const left = 150, iw = W - left - M.right - 40, ih = H - M.top - 20;
    const hi = whiskers ? whiskers.map((w) => w[1]) : [];
    const max = niceMax(Math.max(...values, ...hi, 0));
    const bh = Math.min(34, ih / Math.max(labels.length, 1));
    labels.forEach((l, i) => {
      const y = M.top + i * bh;
      root.append(svg("text", { x: left - 8, y: y + bh * 0.62, "text-anchor": "end", fill: "#1f2a30" }, l));
      const w = (iw * values[i]) / max;
      const r = svg("rect", { x: left, y: y + bh * 0.15, width: Math.max(w, 1), height: bh * 0.7, fill: colour });
      r.append(svg("title", {}, `${l}: ${fmt(values[i])} ${unit || ""}`));
      root.append(r);
      if (whiskers) {
        const [lo, up] = whiskers[i];
        root.append(svg("line", { x1: left + (iw * lo) / max, x2: left + (iw * up) / max, y1: y + bh / 2, y2: y + bh / 2,
          stroke: "#1f2a30", "stroke-width": 1.5 }));
      }
      root.append(svg("text", { x: left + w + 4, y: y + bh * 0.62, fill: "#5c6b73" }, `${fmt(values[i])} ${unit || ""}`));
    });
    return root;
  }

  window.lrCharts = { stackedBars, lineBand, heatmap, bars, none };
})();
