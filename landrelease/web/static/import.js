// The upload page: preview (a dry run), a starting crosswalk to edit, then the import itself.
// Every figure comes from the server's report; nothing is computed here.
(function () {
  "use strict";
  const form = document.getElementById("import-form");
  const result = document.getElementById("result");
  const importButton = document.getElementById("import");
  const busy = document.getElementById("busy");
  const mapping = document.getElementById("mapping");
  let previewed = false;

  function csrf() {
    const m = document.cookie.match(/(?:^|; )lr_csrf=([^;]*)/);
    return m ? decodeURIComponent(m[1]) : document.getElementById("csrf").value;
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return node;
  }

  function table(headers, rows, id) {
    const t = el("table", id ? { id } : {});
    t.append(el("tr", {}, ...headers.map((h) => el("th", {}, h))));
    for (const r of rows) t.append(el("tr", {}, ...r.map((c) => el("td", {}, c))));
    return t;
  }

  const fmt = (n, d = 0) => Number(n).toLocaleString("en", { minimumFractionDigits: d, maximumFractionDigits: d });

  function formData() {
    const data = new FormData(form);
    if (!document.getElementById("fix").checked) data.set("fix", "false");
    for (const key of ["kind", "layer", "crs", "encoding", "status", "mapping"]) {
      if (!String(data.get(key) || "").trim()) data.delete(key);
    }
    return data;
  }

  async function post(path) {
    busy.textContent = "working…";
    try {
      const r = await fetch(path, {
        method: "POST",
        body: formData(),
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRF-Token": csrf() },
      });
      const body = await r.json().catch(() => ({ detail: r.statusText }));
      return { ok: r.ok, status: r.status, body };
    } finally {
      busy.textContent = "";
    }
  }

  function showProblems(body) {
    result.replaceChildren(
      el("h2", { class: "refused" }, "Refused, nothing written"),
      el("p", { id: "refusal" }, body.detail || "refused"),
    );
    const errors = body.errors || [];
    if (errors.length) {
      result.append(
        table(
          ["record", "field", "problem", "found", "expected / way forward"],
          errors.slice(0, 300).map((e) => [e.record || "", e.field || "", e.message || "", e.found || "", e.expected || ""]),
          "problems",
        ),
      );
      if (errors.length > 300) result.append(el("p", { class: "muted" }, `… and ${fmt(errors.length - 300)} more`));
    }
  }

  function showReport(report, done) {
    const title = done
      ? `Stored ${fmt(report.stored)} ${report.kind} from ${report.source} (import #${report.import_id})`
      : `Preview of ${report.source}: ${fmt(report.stored)} of ${fmt(report.read)} records would be stored (nothing written)`;
    result.replaceChildren(el("h2", { id: "summary" }, title), el("p", { class: "muted" }, report.crs));
    result.append(el("h3", {}, "Columns"));
    result.append(table(["column", "read as", "how"], report.columns.map((c) => [c.column, c.field, c.how]), "columns"));
    for (const n of report.notes) result.append(el("p", { class: "note" }, n));
    if (report.by_kind_status.length) {
      result.append(el("h3", {}, "By kind and status (each polygon measured in its own UTM zone)"));
      const rows = report.by_kind_status.map((r) => [r.kind, r.status, fmt(r.records), fmt(r.area_km2, 4)]);
      rows.push(["total", "", fmt(report.stored), fmt(report.area_km2, 4)]);
      result.append(table(["kind", "status", "records", "km²"], rows, "by-kind-status"));
    }
    const values = Object.entries(report.values);
    if (values.length) {
      result.append(el("h3", {}, "Values per field"));
      result.append(
        table(
          ["field", "values (records)"],
          values.map(([f, counts]) => [f, Object.entries(counts).map(([v, n]) => `${v} ${fmt(n)}`).join(", ")]),
          "values",
        ),
      );
    }
    const fixed = Object.entries(report.fixed), skipped = Object.entries(report.skipped);
    if (fixed.length || skipped.length) {
      result.append(el("h3", {}, "Repairs and skips"));
      const rows = fixed.map(([k, n]) => ["repaired", k.replaceAll("_", " "), fmt(n)]);
      rows.push(...skipped.map(([k, n]) => ["skipped", k.replaceAll("_", " "), fmt(n)]));
      result.append(table(["", "check", "records"], rows, "repairs"));
      if (report.skipped_records.length) {
        result.append(el("p", { class: "muted" }, "Skipped: " + report.skipped_records.slice(0, 200).join(", ")));
      }
    }
    if (report.warnings.length) {
      result.append(el("h3", {}, "Warnings and advisories (not blocking)"));
      const ul = el("ul", { id: "warnings" });
      for (const w of report.warnings.slice(0, 50)) ul.append(el("li", {}, w));
      result.append(ul);
    }
  }

  form.addEventListener("input", () => { previewed = false; importButton.disabled = true; });

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const r = await post("/api/imports/preview");
    if (r.ok) {
      showReport(r.body, false);
      previewed = true;
      importButton.disabled = false;
    } else {
      showProblems(r.body);
    }
  });

  importButton.addEventListener("click", async () => {
    if (!previewed) return;
    importButton.disabled = true;
    const r = await post("/api/imports");
    if (r.ok) showReport(r.body, true);
    else showProblems(r.body);
    previewed = false;
  });

  document.getElementById("suggest").addEventListener("click", async () => {
    if (!document.getElementById("file").files.length) {
      result.replaceChildren(el("p", { class: "refused" }, "Choose a file first."));
      return;
    }
    const saved = mapping.value;
    mapping.value = "";
    const r = await post("/api/imports/crosswalk");
    if (r.ok) {
      mapping.value = r.body.crosswalk;
      document.getElementById("crosswalk-box").open = true;
      previewed = false;
      importButton.disabled = true;
    } else {
      mapping.value = saved;
      showProblems(r.body);
    }
  });
})();
