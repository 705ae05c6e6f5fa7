/* Group-by: the server draws a header row before each group's first row (daicho/web/groups.py);
   this fills in each group's count and sums (fetched after the page, like the totals row),
   folds and unfolds groups, and keeps the keyboard moving through headers and visible rows.

   A header is a row of the grid: ↑/↓ reach it like any row, Enter or Space (or a click) folds
   its group, ← folds and → unfolds. Folded groups are remembered for the page's grouping in
   this tab (sessionStorage), so a reload keeps them. */

export function installGroups(g) {
  const table = g.table;
  const url = table.dataset.subtotalsUrl;
  if (!url) return;
  const storeKey = "daicho-folded:" + location.pathname + ":" +
    (new URLSearchParams(location.search).get("group") || table.dataset.stateQuery || "");

  function heads() { return Array.prototype.slice.call(g.tbody.querySelectorAll("tr.group-row")); }
  function members(head) {
    const out = [];
    for (let r = head.nextElementSibling; r && !r.classList.contains("group-row"); r = r.nextElementSibling) out.push(r);
    return out;
  }
  function folded() {
    try { return JSON.parse(window.sessionStorage.getItem(storeKey) || "[]"); } catch (e) { return []; }
  }
  function remember() {
    const keys = heads().filter(function (h) { return h.getAttribute("aria-expanded") === "false"; })
      .map(function (h) { return h.dataset.group; });
    try { window.sessionStorage.setItem(storeKey, JSON.stringify(keys)); } catch (e) { /* private mode */ }
  }
  function setOpen(head, open, quiet) {
    head.setAttribute("aria-expanded", open ? "true" : "false");
    members(head).forEach(function (r) { r.hidden = !open; });
    if (!quiet) remember();
  }
  function toggle(head) { setOpen(head, head.getAttribute("aria-expanded") === "false"); }

  function prepare(head) {
    head.setAttribute("role", "row");
    Array.prototype.forEach.call(head.cells, function (c, i) {
      c.setAttribute("role", i === 0 ? "rowheader" : "gridcell");
      c.tabIndex = -1;
    });
  }
  const wasFolded = folded();
  heads().forEach(function (head) {
    prepare(head);
    if (wasFolded.indexOf(head.dataset.group) >= 0) setOpen(head, false, true);
  });

  function load() {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (resp) { return resp.ok ? resp.json() : null; })
      .then(function (data) {
        if (!data) return;
        heads().forEach(function (head) {
          const info = data.groups[head.dataset.group] || { count: "", cells: {} };
          head.querySelector(".group-count").textContent = info.count;
          head.querySelectorAll("td.group-sum").forEach(function (td) {
            td.innerHTML = info.cells[td.dataset.code] || ""; // HTML drawn and escaped by the server
          });
        });
        table.dataset.subtotalsReady = "1";
      }, function () { /* the page works without its subtotals */ });
  }
  let pending = null;
  g.refreshGroups = function () {
    window.clearTimeout(pending);
    pending = window.setTimeout(load, 400);
  };
  load();
  document.body.addEventListener("grid-saved", g.refreshGroups);

  g.hasGroup = function (key) { return heads().some(function (h) { return h.dataset.group === key; }); };
  // A row that appeared (someone else's new record) goes to the end of its group.
  g.placeRow = function (row, key) {
    const head = heads().filter(function (h) { return h.dataset.group === key; })[0];
    if (!head) return;
    const rest = members(head).filter(function (r) { return r !== row; });
    const after = rest.length ? rest[rest.length - 1] : head;
    after.parentElement.insertBefore(row, after.nextElementSibling);
    row.hidden = head.getAttribute("aria-expanded") === "false";
  };

  function visibleNext(row, step) {
    let r = step > 0 ? row.nextElementSibling : row.previousElementSibling;
    while (r && r.hidden) r = step > 0 ? r.nextElementSibling : r.previousElementSibling;
    return r;
  }
  function goTo(row, index) {
    if (row.classList.contains("group-row")) g.focusCell(row.cells[0]);
    else g.focusCell(row.cells[Math.min(Math.max(index, 0), row.cells.length - 1)]);
  }

  // In the capture phase, before the grid's own keys (keys.js), which know only record rows.
  table.addEventListener("keydown", function (event) {
    if (g.editing) return;
    const key = event.key;
    const head = event.target.closest ? event.target.closest("tr.group-row") : null;
    if (head && g.tbody.contains(head)) {
      if (key === "Tab") return;
      if (key === "Enter" || key === " ") toggle(head);
      else if (key === "ArrowLeft") setOpen(head, false);
      else if (key === "ArrowRight") setOpen(head, true);
      else if (key === "ArrowDown" || key === "ArrowUp") {
        const next = visibleNext(head, key === "ArrowDown" ? 1 : -1);
        if (next) goTo(next, 1);
        else if (key === "ArrowUp") g.focusCell(table.tHead.rows[0].cells[0]);
      }
      event.preventDefault();
      event.stopPropagation();
      return;
    }
    if (event.shiftKey || event.ctrlKey || event.metaKey || event.altKey) return;
    if (key !== "ArrowDown" && key !== "ArrowUp") return;
    const cell = g.active;
    if (!cell || !g.tbody.contains(cell)) {
      // From the column headers down: the first visible row, a group's header included.
      if (key === "ArrowDown" && cell && table.tHead.contains(cell)) {
        const first = g.tbody.rows[0];
        if (first && first.classList.contains("group-row")) {
          goTo(first, cell.cellIndex);
          event.preventDefault();
          event.stopPropagation();
        }
      }
      return;
    }
    const next = visibleNext(cell.parentElement, key === "ArrowDown" ? 1 : -1);
    if (!next) return;
    goTo(next, cell.cellIndex);
    event.preventDefault();
    event.stopPropagation();
  }, true);

  table.addEventListener("click", function (event) {
    const head = event.target.closest("tr.group-row");
    if (!head || !g.tbody.contains(head)) return;
    toggle(head);
    g.focusCell(head.cells[0]);
    event.stopPropagation();
  }, true);
}
