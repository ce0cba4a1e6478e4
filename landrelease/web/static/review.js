/* The review queue: analysts take records into review, approve them, or return them with a reason. */
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("lr-config").textContent);
  const reviewer = ["admin", "analyst"].includes(config.user.role);
  function csrf() {
    const m = document.cookie.match(new RegExp("(?:^|; )" + config.csrfCookie + "=([^;]*)"));
    return m ? decodeURIComponent(m[1]) : "";
  }
  function say(text, bad) {
    const el = document.getElementById("review-message");
    el.textContent = text;
    el.className = bad ? "error" : "muted";
  }
  async function step(item, action, reason) {
    const r = await fetch(`/api/review/${item.kind}/${encodeURIComponent(item.record)}/${action}`, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrf() },
      body: JSON.stringify(reason ? { reason } : {}),
    });
    const body = await r.json();
    if (!r.ok) throw new Error(body.detail + (body.errors ? ": " + body.errors.map((e) => e.message).join("; ") : ""));
    return body;
  }
  function cell(row, text) {
    const td = document.createElement("td");
    td.textContent = text == null ? "" : String(text);
    row.append(td);
    return td;
  }
  function button(label, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.addEventListener("click", onClick);
    return b;
  }
  async function load() {
    const r = await fetch("/api/review-queue", { credentials: "same-origin", headers: { Accept: "application/json" } });
    const tbody = document.querySelector("#queue tbody");
    tbody.replaceChildren();
    if (!r.ok) { say("could not load the queue: " + r.status, true); return; }
    const d = await r.json();
    if (!d.items.length) {
      const tr = document.createElement("tr");
      cell(tr, "nothing waits for review").colSpan = 9;
      tbody.append(tr);
      return;
    }
    for (const item of d.items) {
      const tr = document.createElement("tr");
      tr.dataset.record = item.record;
      for (const v of [item.kind.replace("_", " "), item.record, item.hazard_code, item.summary, item.state.replace("_", " "),
        item.operator, item.submitted_by, (item.submitted_at || "").slice(0, 16).replace("T", " ")]) cell(tr, v);
      const actions = cell(tr, "");
      if (reviewer) {
        const go = async (fn) => {
          try { await fn(); await load(); } catch (err) { say(err.message, true); }
        };
        actions.append(button("Approve", () => go(async () => {
          if (item.state !== "under_review") await step(item, "review");
          await step(item, "approve");
          say(`${item.record} approved`);
        })));
        actions.append(button("Return…", () => go(async () => {
          const reason = window.prompt("Why is it returned? The operator sees this reason.");
          if (!reason) return;
          if (item.state !== "under_review") await step(item, "review");
          await step(item, "return", reason);
          say(`${item.record} returned`);
        })));
      }
      tbody.append(tr);
    }
  }
  load();
})();
