/* Column order: drag a header sideways, or use the column's menu (right click on a header,
   Shift+F10 or the Menu key there) or Alt+Shift+← / → on a header to move it; the same menu
   freezes the columns up to it. The columns move on the page at once: every row's cells, the
   <col> and the grid's column list, so saves and the rows loaded later come in the new order
   (core.js sends the order with each request). The order is kept by saving the view. */

import { menuBehaviour } from "./menukeys.js";

export function installColumns(g) {
  const table = g.table;
  const menu = document.getElementById("column-menu");

  // Move column `from` (0-based, in g.columns) to position `to`.
  g.moveColumn = function (from, to) {
    const n = g.columns.length;
    if (from === to || from < 0 || to < 0 || from >= n || to >= n) return false;
    const moving = g.columns[from];
    Array.prototype.forEach.call(table.querySelectorAll("thead > tr, tbody > tr, tfoot > tr"), function (tr) {
      if (tr.cells.length !== n + 1) return; // a row spanning the columns (empty, calculating)
      const cell = tr.cells[from + 1];
      const ref = to > from ? tr.cells[to + 2] || null : tr.cells[to + 1];
      tr.insertBefore(cell, ref);
    });
    const colgroup = table.querySelector("colgroup");
    if (colgroup && colgroup.children.length === n + 1) {
      const col = colgroup.children[from + 1];
      colgroup.insertBefore(col, to > from ? colgroup.children[to + 2] || null : colgroup.children[to + 1]);
    }
    g.columns.splice(from, 1);
    g.columns.splice(to, 0, moving);
    table.dataset.ordered = "1";
    g.emit("columns-moved", moving.code, from, to);
    g.placeFrozen();
    g.publishLayout();
    const name = moving.name;
    g.say(name + ": " + ((menu && menu.dataset.movedText) || "") + " " + (to + 1));
    return true;
  };
  function indexOf(th) { return th.cellIndex - 1; }

  // -- the column menu ---------------------------------------------------------------------------
  let target = null;
  const { items, focusItem } = menu ? menuBehaviour(menu, run, closeMenu)
    : { items: [], focusItem: function () {} };
  function openMenu(th, x, y) {
    if (!menu) return;
    target = th;
    const i = indexOf(th);
    const allowed = { left: i > 0, right: i < g.columns.length - 1, freeze: i < 5, unfreeze: g.frozen > 0 };
    items.forEach(function (el) {
      el.setAttribute("aria-disabled", allowed[el.dataset.action] ? "false" : "true");
    });
    menu.hidden = false;
    const w = menu.offsetWidth, h = menu.offsetHeight;
    const vw = document.documentElement.clientWidth, vh = document.documentElement.clientHeight;
    menu.style.left = Math.max(4, Math.min(x, vw - w - 4)) + "px";
    menu.style.top = Math.max(4, Math.min(y, vh - h - 4)) + "px";
    focusItem(0);
  }
  function closeMenu(refocus) {
    if (!menu || menu.hidden) return;
    menu.hidden = true;
    if (refocus && target) focusHead(target);
  }
  function focusHead(th) {
    const button = th.querySelector(".filter-button");
    if (button) {
      table.tHead.querySelectorAll(".filter-button").forEach(function (b) { b.tabIndex = b === button ? 0 : -1; });
      button.focus();
    } else {
      g.focusCell(th);
    }
  }
  function run(item) {
    if (!item || !target) return;
    const th = target;
    const i = indexOf(th);
    const action = item.dataset.action;
    if (item.getAttribute("aria-disabled") === "true") return;
    closeMenu(false);
    if (action === "left") g.moveColumn(i, i - 1);
    else if (action === "right") g.moveColumn(i, i + 1);
    else if (action === "freeze") { g.setFrozen(i + 1); g.emit("layout"); }
    else if (action === "unfreeze") { g.setFrozen(0); g.emit("layout"); }
    focusHead(th);
  }

  table.tHead.addEventListener("contextmenu", function (event) {
    const th = event.target.closest("th[data-code]");
    if (!th) return;
    event.preventDefault();
    openMenu(th, event.clientX, event.clientY);
  });
  // Before the header's own keys (filters.js, keys.js): capture.
  table.tHead.addEventListener("keydown", function (event) {
    const th = event.target.closest && event.target.closest("th[data-code]");
    if (!th) return;
    const i = indexOf(th);
    if (event.key === "ContextMenu" || (event.key === "F10" && event.shiftKey)) {
      const box = th.getBoundingClientRect();
      openMenu(th, box.left + 8, box.bottom);
    } else if (event.altKey && event.shiftKey && (event.key === "ArrowLeft" || event.key === "ArrowRight")) {
      g.moveColumn(i, i + (event.key === "ArrowLeft" ? -1 : 1));
      focusHead(th);
    } else if (table.dataset.ordered && !event.altKey && !event.ctrlKey && !event.shiftKey &&
               event.target.closest(".filter-button") && (event.key === "ArrowLeft" || event.key === "ArrowRight")) {
      // filters.js roves the header's buttons in the order it found them; after a move, the
      // order on the screen decides.
      const heads = table.tHead.rows[0].cells;
      const next = heads[Math.max(1, Math.min(g.columns.length, th.cellIndex + (event.key === "ArrowLeft" ? -1 : 1)))];
      focusHead(next);
    } else return;
    event.preventDefault();
    event.stopPropagation();
  }, true);

  // -- drag a header sideways --------------------------------------------------------------------
  let drag = null;
  const marker = document.createElement("div");
  marker.className = "column-drop-marker";
  marker.hidden = true;
  document.body.appendChild(marker);

  function dropIndex(x) {
    const heads = Array.prototype.slice.call(table.tHead.rows[0].cells, 1);
    for (let i = 0; i < heads.length; i++) {
      const box = heads[i].getBoundingClientRect();
      if (x < box.left + box.width / 2) return i;
    }
    return heads.length;
  }
  table.tHead.addEventListener("pointerdown", function (event) {
    const th = event.target.closest("th[data-code]");
    if (!th || event.button !== 0 || event.target.closest("[data-resize], .filter-button")) return;
    drag = { th: th, x: event.clientX, moved: false, pointer: event.pointerId };
  });
  document.addEventListener("pointermove", function (event) {
    if (!drag || event.pointerId !== drag.pointer) return;
    if (!drag.moved && Math.abs(event.clientX - drag.x) < 8) return;
    drag.moved = true;
    table.classList.add("dragging-column");
    const slot = dropIndex(event.clientX);
    const heads = table.tHead.rows[0].cells;
    const edge = slot < g.columns.length ? heads[slot + 1].getBoundingClientRect().left
      : heads[g.columns.length].getBoundingClientRect().right;
    const box = table.tHead.getBoundingClientRect();
    marker.style.left = (edge + window.scrollX - 1) + "px";
    marker.style.top = (box.top + window.scrollY) + "px";
    marker.style.height = box.height + "px";
    marker.hidden = false;
  });
  document.addEventListener("pointerup", function (event) {
    if (!drag || event.pointerId !== drag.pointer) return;
    const d = drag;
    drag = null;
    marker.hidden = true;
    table.classList.remove("dragging-column");
    if (!d.moved) return;
    const from = indexOf(d.th);
    let to = dropIndex(event.clientX);
    if (to > from) to -= 1;
    g.moveColumn(from, to);
    // The click that ends a drag does not sort.
    function swallow(e) { e.preventDefault(); e.stopPropagation(); }
    table.tHead.addEventListener("click", swallow, { capture: true, once: true });
    window.setTimeout(function () { table.tHead.removeEventListener("click", swallow, { capture: true }); }, 0);
    window.setTimeout(function () { focusHead(d.th); }, 0);
  });
}
