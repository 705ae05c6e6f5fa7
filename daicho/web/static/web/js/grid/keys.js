/* The grid's keyboard: every action has a key, as in Excel.
   Arrows, PageUp/PageDown, Home/End (Ctrl: the grid's corners) move; Shift with them selects a
   range; Ctrl+A selects every cell; Enter/F2 edits (on a header: sorts), Alt+↓ on a header opens
   its filter; Delete empties the selection; Ctrl+C/Ctrl+V copy and paste (the copy and paste
   events); Ctrl+D fills down; Ctrl+Shift+＋ (or Alt+Insert) inserts a row; Ctrl+－ moves the
   ticked (or selected) rows to the trash; Shift+Space ticks the row; Ctrl+Z undoes, Ctrl+Y or
   Ctrl+Shift+Z redoes; Shift+F10 or the Menu key opens the menu of all actions. */

export function installKeys(g) {
  const table = g.table;

  function header(cell, event) {
    if (event.key === "Enter" || event.key === " ") {
      const link = cell.querySelector("a.sort, a");
      if (link) link.click();
      return true;
    }
    if (event.altKey && event.key === "ArrowDown") {
      const control = cell.querySelector("[role=button], summary, button");
      if (control) { control.focus(); control.click(); }
      return true;
    }
    return false;
  }

  table.addEventListener("keydown", function (event) {
    if (g.editing || !g.active || !table.contains(event.target) || event.target.closest("tfoot")) return;
    // The header's filter buttons have their own keys (filters.js): ← → between them, ↓ to a cell.
    if (event.defaultPrevented || event.target.closest(".filter-button")) return;
    const inHead = g.active.parentElement.parentElement === table.tHead;
    if (inHead && event.target !== g.active) return; // a control opened from the header keeps its keys
    const cell = g.active;
    const ctrl = event.ctrlKey || event.metaKey;
    const shift = event.shiftKey;
    const key = event.key;
    let handled = true;
    if (inHead && header(cell, event)) { event.preventDefault(); return; }
    if (shift && !ctrl && key.indexOf("Arrow") === 0 && !inHead) {
      g.extendBy({ ArrowUp: -1, ArrowDown: 1 }[key] || 0, { ArrowLeft: -1, ArrowRight: 1 }[key] || 0);
      event.preventDefault();
      return;
    }
    switch (key) {
      case "ArrowUp": g.move(cell, ctrl ? -1e6 : -1, 0); break;
      case "ArrowDown": g.move(cell, ctrl ? 1e6 : 1, 0); break;
      case "ArrowLeft": g.move(cell, 0, ctrl ? -1e6 : -1); break;
      case "ArrowRight": g.move(cell, 0, ctrl ? 1e6 : 1); break;
      case "PageUp": g.move(cell, -10, 0); break;
      case "PageDown": g.move(cell, 10, 0); break;
      case "Home": ctrl ? g.move(cell, -1e6, -1e6) : g.move(cell, 0, -1e6); break;
      case "End": ctrl ? g.move(cell, 1e6, 1e6) : g.move(cell, 0, 1e6); break;
      case "Enter":
      case "F2":
        if (cell.tagName === "TH" || !g.startEdit(cell)) {
          const link = cell.querySelector("a");
          if (link && key === "Enter") link.click();
        }
        break;
      case "Delete":
      case "Backspace":
        g.clearCells([].concat.apply([], g.rangeCells()));
        break;
      case "ContextMenu":
        g.openMenuAtActive();
        break;
      case "F10":
        if (shift) g.openMenuAtActive(); else handled = false;
        break;
      case "Insert":
        if (event.altKey) g.insertRow(); else handled = false;
        break;
      case " ":
        if (shift || cell.tagName === "TH") g.togglePick(cell.parentElement, false);
        else handled = typing(event, cell);
        break;
      default:
        handled = ctrl ? control(event) : typing(event, cell);
    }
    if (handled) event.preventDefault();
  });

  function control(event) {
    const k = event.key.toLowerCase();
    if (k === "z" && !event.shiftKey) g.undo();
    else if (k === "y" || (k === "z" && event.shiftKey)) g.redo();
    else if (k === "d") g.fillDown();
    else if (k === "a") g.selectAll();
    else if (event.key === "+" || (event.shiftKey && (event.key === "=" || event.key === ";"))) g.insertRow();
    else if (event.key === "-") g.trashRows();
    // Ctrl+C copies through execCommand, which fires the copy event even where the browser
    // would not (nothing selected in a cell that is not editable).
    else if (k === "c" && !event.shiftKey) g.copy();
    else return false; // Ctrl+V goes on to the paste event
    return true;
  }

  // Typing replaces the cell, as in Excel: the editor opens empty and takes the focus before
  // the key's default action, so the character (or the IME's composition) lands in it.
  function typing(event, cell) {
    if (event.altKey || !(event.key.length === 1 || event.key === "Process" || event.isComposing)) return false;
    if (cell.tagName === "TD" && !(g.catcher && g.catcher.parentElement === cell)) g.startEdit(cell, "");
    return false;
  }
}
