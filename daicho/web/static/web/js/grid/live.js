/* Others' saved changes appear without a reload, and who else has the ledger open.

   The page polls its ledger's live endpoint (daicho/web/views/live.py) every few seconds while it
   is visible: it sends the rows it shows, the record whose cell is being edited here, and the time
   of the previous answer; the answer holds the rows others wrote since (drawn by the server), the
   rows this person may no longer see, and who else is here. Polling rather than a held-open
   connection: it works behind any proxy and across server processes that share the database.

   A row drawn at an older revision is replaced and flashes briefly; a new record matching the
   page appears at the end of its group, or of the last page; a row gone from view is removed. A row being edited
   here is never replaced: it is marked, and its save meets the revision check and shows both
   values (the conflict dialog). */

export function installLive(g) {
  const table = g.table;
  const url = table.dataset.liveUrl;
  if (!url) return;
  const interval = parseInt(table.dataset.liveInterval || "5000", 10);
  const bar = document.getElementById("live-presence");
  let since = table.dataset.liveSince;
  let busy = false;
  let timer = null;

  function shown() {
    return g.rows().map(function (r) { return parseInt(r.dataset.id, 10); })
      .filter(function (n) { return n > 0; });
  }
  function editingId() {
    if (!g.editing) return null;
    const id = parseInt(g.editing.cell.parentElement.dataset.id, 10);
    return id > 0 ? id : null;
  }
  function busyRow(row) {
    return (g.editing && g.editing.cell.parentElement === row) || !!row.querySelector("td.saving");
  }
  function flash(row) {
    row.classList.add("live-changed");
    row.title = g.t("liveText");
    window.setTimeout(function () { row.classList.remove("live-changed"); }, 3000);
  }
  function conflict(row) {
    row.classList.add("live-conflict");
    g.refuse(g.t("liveConflictText"));
  }

  // A new record joins the page where the page would show it: in its group when the page is
  // grouped and that group is on it, else at the end of the last page.
  function fits(item) {
    if (g.hasGroup) return item.group !== null && g.hasGroup(item.group);
    return table.dataset.lastPage !== "0";
  }

  function apply(data) {
    since = data.since;
    let changed = false;
    data.rows.forEach(function (item) {
      const old = g.rowFor(item.id);
      if (old) {
        if (parseInt(old.dataset.revision, 10) >= item.revision) return;
        if (busyRow(old)) { conflict(old); return; }
        const fresh = g.replaceRow(item.html);
        if (fresh) { flash(fresh); changed = true; }
      } else if (item.new && fits(item)) {
        const fresh = g.replaceRow(item.html, true);
        if (!fresh) return;
        if (g.placeRow) g.placeRow(fresh, item.group);
        flash(fresh);
        changed = true;
      }
    });
    data.gone.forEach(function (id) {
      const row = g.rowFor(id);
      if (!row || busyRow(row)) return;
      g.emit("removing", row);
      row.remove();
      changed = true;
    });
    if (data.more) g.toast(g.t("liveMoreText"));
    presence(data);
    if (changed) document.body.dispatchEvent(new CustomEvent("grid-saved"));
  }

  function presence(data) {
    if (bar) {
      bar.textContent = data.present;
      bar.hidden = !data.present;
    }
    g.rows().forEach(function (row) {
      const note = data.editors[row.dataset.id];
      const head = row.cells[0];
      let mark = head.querySelector(".presence-mark");
      if (!note) { if (mark) mark.remove(); row.classList.remove("others-editing"); return; }
      if (!mark) {
        mark = document.createElement("span");
        mark.className = "presence-mark";
        mark.appendChild(document.createElement("span")).setAttribute("aria-hidden", "true");
        mark.firstChild.textContent = "✎";
        mark.appendChild(document.createElement("span")).className = "visually-hidden";
        head.appendChild(mark);
      }
      mark.title = note;
      mark.lastChild.textContent = note;
      row.classList.add("others-editing");
    });
  }

  function poll() {
    if (busy || document.hidden) return schedule();
    busy = true;
    fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": g.csrf, "Accept": "application/json" },
      body: JSON.stringify({ since: since, shown: shown(), editing: editingId(),
                             query: table.dataset.stateQuery || "",
                             columns: g.columns.map(function (c) { return c.code; }) })
    }).then(function (resp) { return resp.ok ? resp.json() : null; })
      .then(function (data) { if (data) apply(data); }, function () { /* offline: try again */ })
      .then(function () { busy = false; schedule(); });
  }
  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(poll, interval);
  }
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && !busy) { window.clearTimeout(timer); poll(); }
  });
  // Say at once that this page is open (others see it), then every `interval`.
  poll();
}
