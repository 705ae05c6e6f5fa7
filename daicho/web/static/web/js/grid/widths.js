/* Column widths: drag a header's right edge; the widths go into the "save view" forms.
   Once a width is set the table is laid out from its <col> widths (table-layout: fixed) and
   given their sum as its width: a table of automatic width inside the scrolling box is squeezed
   to the box, which undid the widths. */

export function installWidths(g) {
  const table = g.table;
  const cols = {};
  table.querySelectorAll("col[data-code]").forEach(function (col) { cols[col.dataset.code] = col; });
  function widths() {
    const out = {};
    Object.keys(cols).forEach(function (code) {
      if (cols[code].style.width) out[code] = parseInt(cols[code].style.width, 10);
    });
    return out;
  }
  function publish() {
    const json = JSON.stringify(widths());
    document.querySelectorAll("input[data-widths]").forEach(function (input) { input.value = json; });
  }
  function fit() {
    let total = 0;
    table.querySelectorAll("col").forEach(function (col) { total += parseFloat(col.style.width) || 0; });
    table.style.width = total + "px";
  }
  function freeze() {
    if (table.classList.contains("resized")) return;
    const heads = table.tHead.rows[0].cells;
    const colEls = table.querySelectorAll("col");
    for (let i = 0; i < heads.length; i++) {
      if (colEls[i] && !colEls[i].style.width) colEls[i].style.width = heads[i].getBoundingClientRect().width + "px";
    }
    table.classList.add("resized");
    fit();
  }
  g.freezeWidths = freeze;
  const preset = Object.keys(cols).filter(function (code) { return cols[code].dataset.width; });
  if (preset.length) {
    freeze();
    preset.forEach(function (code) { cols[code].style.width = cols[code].dataset.width + "px"; });
    fit();
  }
  publish();
  table.addEventListener("pointerdown", function (event) {
    const handle = event.target.closest("[data-resize]");
    if (!handle) return;
    event.preventDefault();
    freeze();
    const th = handle.closest("th");
    const col = cols[th.dataset.code];
    const startX = event.clientX, startW = th.offsetWidth;
    handle.setPointerCapture(event.pointerId);
    function onMove(e) {
      col.style.width = Math.max(48, startW + e.clientX - startX) + "px";
      fit();
    }
    function onUp() {
      handle.removeEventListener("pointermove", onMove);
      handle.removeEventListener("pointerup", onUp);
      publish();
    }
    handle.addEventListener("pointermove", onMove);
    handle.addEventListener("pointerup", onUp);
  });
}
