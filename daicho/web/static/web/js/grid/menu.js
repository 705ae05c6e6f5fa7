/* The context menu (right click, Shift+F10 or the Menu key) with the grid's actions. It follows
   the WAI-ARIA menu pattern: arrows move, Enter or Space runs, Esc closes and gives the focus
   back to the active cell. Items the user may not use are marked aria-disabled and, chosen, say why. */

import { menuBehaviour } from "./menukeys.js";

export function installMenu(g) {
  const menu = document.getElementById("grid-menu");
  if (!menu) return;
  const { items, focusItem } = menuBehaviour(menu, runItem, close);
  const actions = {
    copy: function () { g.copy(); },
    paste: function () { g.pasteFromClipboard(); },
    fill: function () { g.fillDown(); },
    insert: function () { g.insertRow(); },
    trash: function () { g.trashRows(); },
    set: function () { g.openSetField(); },
    undo: function () { g.undo(); },
    redo: function () { g.redo(); },
  };
  const needs = { paste: g.editable, fill: g.editable, insert: g.editable && g.canAdd,
                  trash: g.canDelete, set: g.editable, undo: g.editable, redo: g.editable };

  function close(refocus) {
    if (menu.hidden) return;
    menu.hidden = true;
    if (refocus && g.active) g.focusCell(g.active, { keepRange: true });
  }
  g.openMenu = function (x, y) {
    items.forEach(function (el) {
      const allowed = needs[el.dataset.action] !== false;
      el.setAttribute("aria-disabled", allowed ? "false" : "true");
    });
    menu.hidden = false;
    const w = menu.offsetWidth, h = menu.offsetHeight;
    const vw = document.documentElement.clientWidth, vh = document.documentElement.clientHeight;
    menu.style.left = Math.max(4, Math.min(x, vw - w - 4)) + "px";
    menu.style.top = Math.max(4, Math.min(y, vh - h - 4)) + "px";
    focusItem(0);
  };
  g.openMenuAtActive = function () {
    const box = (g.active || g.table).getBoundingClientRect();
    g.openMenu(box.left + 8, box.bottom);
  };
  function runItem(item) {
    if (!item) return;
    close(true);
    // A disabled item still answers: the action itself says why it cannot be done.
    actions[item.dataset.action]();
  }

  g.table.addEventListener("contextmenu", function (event) {
    const cell = event.target.closest("td, tbody th");
    if (!cell || !g.tbody.contains(cell) || g.editing) return;
    event.preventDefault();
    const inRange = cell.classList.contains("in-range");
    if (!inRange) g.focusCell(cell);
    g.openMenu(event.clientX, event.clientY);
  });
  window.addEventListener("blur", function () { close(false); });
}
