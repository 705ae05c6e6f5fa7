/* The selected range of cells, as in Excel: Shift+click, Shift+arrows and dragging select a
   rectangle; the active cell (the keyboard focus) is one corner of it, the other corner moves.
   Selected cells carry aria-selected="true". The fill handle sits at the range's bottom right. */

export function installSelection(g) {
  const table = g.table;
  let anchor = null; // {r, c}: the active cell's corner
  let end = null;    // the moving corner
  let painted = [];
  const handle = document.createElement("span");
  handle.className = "fill-handle";
  handle.setAttribute("aria-hidden", "true");
  handle.title = g.t("fillHandleText", "Drag down to fill");

  function bodyCell(cell) { return cell && cell.tagName === "TD" && g.tbody.contains(cell); }

  g.range = function () {
    if (!anchor || !end) return null;
    const all = g.rows();
    const r0 = Math.max(0, Math.min(anchor.r, end.r));
    const r1 = Math.min(all.length - 1, Math.max(anchor.r, end.r));
    const c0 = Math.max(1, Math.min(anchor.c, end.c));
    const c1 = Math.min(g.columns.length, Math.max(anchor.c, end.c));
    if (r1 < r0 || c1 < c0) return null;
    return { r0: r0, r1: r1, c0: c0, c1: c1 };
  };
  // The range's cells, row by row.
  g.rangeCells = function () {
    const box = g.range();
    if (!box) return [];
    const all = g.rows();
    const out = [];
    for (let r = box.r0; r <= box.r1; r++) {
      const line = [];
      for (let c = box.c0; c <= box.c1; c++) line.push(all[r].cells[c]);
      out.push(line);
    }
    return out;
  };
  g.rangeRows = function () {
    const box = g.range();
    return box ? g.rows().slice(box.r0, box.r1 + 1) : [];
  };

  function paint() {
    painted.forEach(function (cell) {
      cell.setAttribute("aria-selected", "false");
      cell.classList.remove("in-range", "range-top", "range-bottom", "range-left", "range-right");
    });
    painted = [];
    if (handle.parentElement) handle.parentElement.removeChild(handle);
    const box = g.range();
    if (!box) return;
    const all = g.rows();
    for (let r = box.r0; r <= box.r1; r++) {
      for (let c = box.c0; c <= box.c1; c++) {
        const cell = all[r].cells[c];
        if (!cell) continue;
        cell.setAttribute("aria-selected", "true");
        cell.classList.add("in-range");
        if (r === box.r0) cell.classList.add("range-top");
        if (r === box.r1) cell.classList.add("range-bottom");
        if (c === box.c0) cell.classList.add("range-left");
        if (c === box.c1) cell.classList.add("range-right");
        painted.push(cell);
      }
    }
    const corner = all[box.r1].cells[box.c1];
    if (g.editable && corner && !g.editing) corner.appendChild(handle);
    const n = (box.r1 - box.r0 + 1) * (box.c1 - box.c0 + 1);
    if (n > 1) g.say(g.t("rangeText", "Selected cells:") + " " + (box.r1 - box.r0 + 1) + " × " + (box.c1 - box.c0 + 1));
  }
  g.repaint = paint;

  // Select from the active cell to `cell` (the active cell stays where it is).
  g.extendTo = function (cell) {
    if (!bodyCell(cell) || !anchor) return;
    end = g.position(cell);
    paint();
    cell.scrollIntoView({ block: "nearest", inline: "nearest" });
  };
  g.extendBy = function (dr, dc) {
    if (!anchor) return;
    const from = end || anchor;
    const target = g.cellAt(Math.max(0, from.r + dr), Math.max(1, from.c + dc));
    g.extendTo(target);
  };
  g.selectRect = function (r0, c0, r1, c1) {
    const all = g.rows();
    const first = all[r0] && all[r0].cells[c0];
    if (!first) return;
    g.focusCell(first, { keepRange: true });
    anchor = { r: r0, c: c0 };
    end = { r: Math.min(r1, all.length - 1), c: Math.min(c1, g.columns.length) };
    paint();
  };
  g.selectAll = function () {
    const all = g.rows();
    if (all.length) g.selectRect(0, 1, all.length - 1, g.columns.length);
  };

  g.on("focus", function (cell, opts) {
    if (!bodyCell(cell)) {
      anchor = end = null;
      paint();
      return;
    }
    if (opts.keepRange && anchor) {
      if (opts.shift) g.extendTo(cell);
      else { anchor = g.position(cell); if (!end) end = anchor; paint(); }
      return;
    }
    anchor = end = g.position(cell);
    paint();
  });
  g.on("editing", function () { if (handle.parentElement) handle.parentElement.removeChild(handle); });
  g.on("edited", function () { paint(); });
  g.on("replaced", function () { paint(); });

  // Shift+click extends from the active cell (which keeps the focus); a press and drag selects
  // the cells passed over.
  let dragging = false;
  table.addEventListener("mousedown", function (event) {
    const cell = event.target.closest("td");
    // A right click inside the range keeps it: the menu acts on the whole range.
    if (event.button === 2 && cell && cell.classList.contains("in-range")) { event.preventDefault(); return; }
    if (event.button !== 0 || g.editing) return;
    if (!bodyCell(cell) || event.target.closest("a, input, select, textarea, .fill-handle")) return;
    if (event.shiftKey && anchor) {
      event.preventDefault(); // the focus stays on the active cell
      g.extendTo(cell);
      return;
    }
    dragging = true;
  });
  table.addEventListener("pointermove", function (event) {
    if (!dragging) return;
    if (!(event.buttons & 1)) { dragging = false; return; }
    const hit = document.elementFromPoint(event.clientX, event.clientY);
    const td = hit && hit.closest("td");
    if (!bodyCell(td) || !anchor) return;
    const at = g.position(td);
    if (end && at.r === end.r && at.c === end.c) return;
    event.preventDefault();
    g.extendTo(td);
  });
  document.addEventListener("pointerup", function () { dragging = false; });

  // The fill handle: drag it down over the rows to fill, as in Excel.
  // Listened for on the document: painting moves the handle to the new corner.
  handle.addEventListener("pointerdown", function (event) {
    event.preventDefault();
    event.stopPropagation();
    const box = g.range();
    function onMove(e) {
      const hit = document.elementFromPoint(e.clientX, e.clientY);
      const td = hit && hit.closest("td");
      if (!bodyCell(td)) return;
      const at = g.position(td);
      end = { r: Math.max(box.r1, at.r), c: box.c1 };
      anchor = { r: box.r0, c: box.c0 };
      paint();
    }
    function onUp() {
      document.removeEventListener("pointermove", onMove);
      document.removeEventListener("pointerup", onUp);
      if (g.range() && g.range().r1 > box.r1) g.fillDown();
    }
    document.addEventListener("pointermove", onMove);
    document.addEventListener("pointerup", onUp);
  });

  if (g.active && bodyCell(g.active)) {
    anchor = end = g.position(g.active);
    paint();
  }
}
