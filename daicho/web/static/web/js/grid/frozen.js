/* The grid's layout: the first columns frozen (they stay at the left while the grid scrolls
   sideways; the header row stays at the top, app.css), the row height, and the layout written
   into the page's forms so that "save view" keeps it and the URL so that a reload keeps it.

   Frozen cells are placed by one constructed style sheet of :nth-child rules rather than a style
   on every cell: rows loaded later by the continuous scroll or drawn again after a save are
   frozen without any work. */

export function installFrozen(g) {
  const table = g.table;
  // A constructed style sheet: the page's CSP refuses <style> elements, not the CSSOM.
  const sheet = new CSSStyleSheet();
  document.adoptedStyleSheets = document.adoptedStyleSheets.concat([sheet]);
  const frozenPick = document.getElementById("layout-frozen");
  const heightPick = document.getElementById("layout-height");
  g.frozen = Math.max(0, parseInt(table.dataset.frozen || "1", 10) || 0);
  g.rowHeight = ["compact", "normal", "tall"].find(function (h) {
    return table.classList.contains("rows-" + h);
  }) || "normal";

  // Left offsets from the header's cells as drawn: the record number, then each frozen column.
  g.placeFrozen = function () {
    const heads = table.tHead.rows[0].cells;
    const n = Math.min(g.frozen, heads.length - 1);
    table.classList.toggle("has-frozen", n > 0);
    let left = heads[0].getBoundingClientRect().width;
    const rules = [];
    for (let i = 1; i <= n; i++) {
      const nth = ":nth-child(" + (i + 1) + ")";
      rules.push("#grid > tbody > tr > " + nth + ", #grid > thead > tr > " + nth + ", #grid > tfoot > tr > " + nth +
                 " { position: sticky; left: " + left + "px; }");
      rules.push("#grid > thead > tr > " + nth + ", #grid > tfoot > tr > " + nth + " { z-index: 3; }");
      rules.push(":where(#grid > tbody > tr > td)" + nth + " { z-index: 1; background: var(--frozen-bg); }");
      left += heads[i].getBoundingClientRect().width;
    }
    if (n > 0) rules.push(":where(#grid > * > tr > " + ":nth-child(" + (n + 1) + "))" + " { box-shadow: inset -2px 0 0 var(--line); }");
    sheet.replaceSync(rules.join("\n"));
    table.dataset.frozenLeft = String(left);
  };

  g.setFrozen = function (n) {
    g.frozen = Math.max(0, Math.min(5, n, g.columns.length));
    table.dataset.frozen = String(g.frozen);
    g.placeFrozen();
    g.publishLayout();
  };
  g.setRowHeight = function (height) {
    // Wrapped text must not squeeze the columns into the box: keep the widths they have.
    if (height === "tall" && g.freezeWidths) g.freezeWidths();
    ["compact", "normal", "tall"].forEach(function (h) { table.classList.toggle("rows-" + h, h === height); });
    g.rowHeight = height;
    g.placeFrozen();
    g.publishLayout();
  };

  // The layout goes into every form that carries the page's state (the saved view takes it
  // from there) and into the address, so that a reload shows what is on the screen.
  function setInput(form, name, value, keep) {
    let input = form.querySelector('input[type=hidden][name="' + name + '"]');
    if (!keep) { if (input) input.remove(); return; }
    if (!input) {
      input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      form.appendChild(input);
    }
    input.value = value;
  }
  g.publishLayout = function () {
    const cols = g.columns.map(function (c) { return c.code; }).join(",");
    const ordered = !!table.dataset.ordered;
    document.querySelectorAll("form").forEach(function (form) {
      if (!form.querySelector('input[type=hidden][name="s"]')) return;
      if (form.id !== "layout-form") {
        setInput(form, "frozen", String(g.frozen), g.frozen !== 1);
        setInput(form, "rh", g.rowHeight, g.rowHeight !== "normal");
      }
      if (ordered && !form.querySelector('input[name="col"]')) setInput(form, "cols", cols, true);
    });
    // The address: the layout form holds the page's whole state (view, columns, sort, filters,
    // search, page size) and the layout's two choices.
    const form = document.getElementById("layout-form");
    if (!form) return;
    if (frozenPick) frozenPick.value = String(g.frozen);
    if (heightPick) heightPick.value = g.rowHeight;
    const params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if ((key === "frozen" && value === "1") || (key === "rh" && value === "normal")) return;
      params.append(key, value);
    });
    window.history.replaceState(window.history.state, "", form.action + "?" + params.toString());
  };

  // The layout menu's choices apply at once, without a reload (without script: a GET form).
  [frozenPick, heightPick].forEach(function (el) { if (el) el.removeAttribute("data-autosubmit"); });
  if (frozenPick) frozenPick.addEventListener("change", function () { g.setFrozen(parseInt(frozenPick.value, 10)); });
  if (heightPick) heightPick.addEventListener("change", function () { g.setRowHeight(heightPick.value); });

  if (window.ResizeObserver) {
    const watch = new ResizeObserver(function () { g.placeFrozen(); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) { watch.observe(th); });
  }
  g.placeFrozen();
}
