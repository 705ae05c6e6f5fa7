/* Ticking rows for the actions on many records: a checkbox in each row's number cell (Shift
   ticks every row between the last one ticked and this one), one in the header for the whole
   page; Shift+Space ticks the active cell's row. A ticked row carries aria-selected="true". */

export function installRows(g) {
  const table = g.table;
  const count = document.getElementById("grid-picked");
  let last = null;

  function box(row) {
    if (!row.dataset.id || row.querySelector(".row-pick")) return;
    const input = document.createElement("input");
    input.type = "checkbox";
    input.className = "row-pick";
    input.tabIndex = -1;
    input.setAttribute("aria-label", g.t("pickRowText", "Select row") + " #" + row.dataset.id);
    row.cells[0].insertBefore(input, row.cells[0].firstChild);
  }
  function mark(row, on) {
    const input = row.querySelector(".row-pick");
    if (input) input.checked = on;
    row.classList.toggle("picked", on);
    row.setAttribute("aria-selected", on ? "true" : "false");
  }
  function update() {
    const n = g.pickedRows().length;
    if (count) {
      count.textContent = n ? g.t("pickedText", "Rows selected:") + " " + n : "";
      count.hidden = !n;
    }
    all.checked = n > 0 && n === g.rows().filter(function (r) { return r.dataset.id; }).length;
    all.indeterminate = n > 0 && !all.checked;
  }

  g.pickedRows = function () {
    return Array.prototype.filter.call(g.tbody.rows, function (r) { return r.classList.contains("picked"); });
  };
  g.clearPicks = function () { g.pickedRows().forEach(function (r) { mark(r, false); }); update(); };
  g.togglePick = function (row, shift, on) {
    if (!row || !row.dataset.id) return;
    if (on === undefined) on = !row.classList.contains("picked");
    const rows = g.rows();
    if (shift && last && last.isConnected) {
      const a = rows.indexOf(last), b = rows.indexOf(row);
      rows.slice(Math.min(a, b), Math.max(a, b) + 1).forEach(function (r) { if (r.dataset.id) mark(r, on); });
    } else {
      mark(row, on);
    }
    last = row;
    update();
  };

  const all = document.createElement("input");
  all.type = "checkbox";
  all.className = "row-pick-all";
  all.tabIndex = -1;
  all.setAttribute("aria-label", g.t("pickAllText", "Select all rows on this page"));
  table.tHead.rows[0].cells[0].insertBefore(all, table.tHead.rows[0].cells[0].firstChild);
  all.addEventListener("change", function () {
    g.rows().forEach(function (r) { if (r.dataset.id) mark(r, all.checked); });
    update();
  });

  g.rows().forEach(box);
  g.on("row", box);
  g.on("replace", function (old, fresh) { if (old.classList.contains("picked")) mark(fresh, true); });
  g.on("removing", function (row) { window.setTimeout(update, 0); if (last === row) last = null; });

  table.addEventListener("click", function (event) {
    const input = event.target.closest(".row-pick");
    if (!input) return;
    // The box has already changed; Shift ticks (or clears) the whole span to the last one.
    g.togglePick(input.closest("tr"), event.shiftKey, input.checked);
  });
}
