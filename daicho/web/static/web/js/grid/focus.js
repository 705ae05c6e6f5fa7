/* Focus and movement, following the WAI-ARIA grid pattern: the grid is ONE tab stop (roving
   tabindex: only the active cell has tabindex 0), arrows move between cells, the header row
   included. Links and buttons inside cells and headers are reached through their cell (Enter,
   Alt+↓), not by Tab.

   A selected text or date cell holds the keyboard focus in its editor, made ready but not shown (the
   "catcher"): a Japanese IME converts only inside an editable element, so with the focus on the
   cell itself the first keystroke of 「かんり」 would arrive as a bare "k". The first character or
   composition then turns the catcher into the visible editor in place, without moving the
   focus, so nothing typed is lost. Other cells take the focus themselves. */

export function installFocus(g) {
  const table = g.table;
  g.catcher = null;

  function takesText(column) {
    return g.editable && column && ["text", "textarea", "date", "month", "datetime"].indexOf(column.editor.kind) >= 0;
  }
  g.dropCatcher = function () {
    if (g.catcher && g.catcher.parentElement) g.catcher.parentElement.removeChild(g.catcher);
    g.catcher = null;
  };
  function onCatcherTyping(event) {
    const cell = event.target.parentElement;
    if (!g.editing && event.target === g.catcher && cell === g.active) g.startEdit(cell, undefined, true);
  }

  // opts.scroll === false: keep the page where it is; opts.keepRange: the selection is not
  // collapsed onto the cell (Shift+click, drags and the range's own moves decide it).
  g.focusCell = function (cell, opts) {
    if (!cell) return;
    opts = opts || {};
    if (g.active && g.active !== cell) {
      g.active.tabIndex = -1;
      g.active.classList.remove("selected");
    }
    g.active = cell;
    cell.classList.add("selected");
    const column = g.columnOf(cell);
    g.emit("focus", cell, opts);
    if (cell.tagName === "TD" && !g.editing && takesText(column)) {
      if (!g.catcher || g.catcher.parentElement !== cell) {
        g.dropCatcher();
        g.catcher = g.editorFor(column, "");
        g.catcher.classList.add("grid-catcher");
        g.catcher.setAttribute("aria-label", column.name + ": " + g.textOf(cell));
        g.catcher.addEventListener("compositionstart", onCatcherTyping);
        g.catcher.addEventListener("input", onCatcherTyping);
        cell.appendChild(g.catcher);
      }
      cell.tabIndex = -1;
      g.catcher.tabIndex = 0;
      g.catcher.focus({ preventScroll: opts.scroll === false });
      return;
    }
    g.dropCatcher();
    cell.tabIndex = 0;
    cell.focus({ preventScroll: opts.scroll === false });
  };

  // Positions: row -1 is the header row, column 0 the row number column.
  g.position = function (cell) {
    const r = cell.parentElement.parentElement === table.tHead ? -1 : g.rows().indexOf(cell.parentElement);
    return { r: r, c: cell.cellIndex };
  };
  g.cellAt = function (r, c) {
    const all = g.rows();
    r = Math.max(-1, Math.min(all.length - 1, r));
    c = Math.max(0, Math.min(g.columns.length, c));
    const row = r < 0 ? table.tHead.rows[0] : all[r];
    return row ? row.cells[c] : null;
  };
  g.move = function (cell, dr, dc) {
    const at = g.position(cell);
    let r = at.r + dr;
    if (at.r >= 0 && dr < 0 && r < 0 && dr < -1) r = 0; // PageUp and Ctrl+Home stay in the body
    g.focusCell(g.cellAt(r, at.c + dc));
  };

  g.prepareRow = function (row) {
    row.setAttribute("role", "row");
    row.querySelectorAll("a, input, button, select, textarea, summary, [tabindex]").forEach(function (el) {
      // The header's filter buttons are a tab stop of their own, roved by filters.js.
      if (el.classList.contains("grid-catcher") || el.classList.contains("filter-button")) return;
      if (el.tagName !== "TD" && el.tagName !== "TH") el.tabIndex = -1;
    });
    Array.prototype.forEach.call(row.cells, function (c) {
      if (c !== g.active) c.tabIndex = -1;
      if (c.tagName === "TD") {
        c.setAttribute("role", "gridcell");
        if (!c.hasAttribute("aria-selected")) c.setAttribute("aria-selected", "false");
      } else {
        c.setAttribute("role", row.parentElement === table.tHead ? "columnheader" : "rowheader");
      }
    });
  };
  g.on("row", g.prepareRow);
  // A row drawn again keeps the active cell (and the focus, when it had it).
  g.on("replace", function (old, fresh) {
    if (g.editing && g.editing.cell.parentElement === old) {
      // Keep the cell being typed into; take the saved value of the rest of the row.
      const twin = fresh.cells[g.editing.cell.cellIndex];
      g.editing.html = twin.innerHTML;
      g.editing.cell.dataset.text = twin.dataset.text;
      fresh.replaceChild(g.editing.cell, twin);
    }
    fresh._hadFocus = table.contains(document.activeElement);
    fresh._activeIndex = g.active && g.active.parentElement === old ? g.active.cellIndex : -1;
  });
  g.on("replaced", function (old, fresh) {
    if (fresh._activeIndex === undefined || fresh._activeIndex < 0) return;
    const cell = fresh.cells[fresh._activeIndex];
    if (cell === (g.editing && g.editing.cell)) return;
    if (!fresh._hadFocus) {
      g.dropCatcher();
      g.active = cell;
      cell.tabIndex = 0;
      cell.classList.add("selected");
      g.emit("focus", cell, { keepRange: true });
    } else {
      g.focusCell(cell, { scroll: false, keepRange: true });
    }
  });
  g.on("removing", function (row) {
    if (g.active && g.active.parentElement === row) {
      const all = g.rows();
      const next = all[all.indexOf(row) + 1] || all[all.indexOf(row) - 1];
      const index = g.active.cellIndex;
      g.active = null;
      if (next) g.focusCell(next.cells[index], { scroll: false });
    }
  });

  g.prepareRow(table.tHead.rows[0]);
  g.rows().forEach(g.prepareRow);
  const first = g.rows()[0];
  g.active = first ? first.cells[Math.min(1, first.cells.length - 1)] : table.tHead.rows[0].cells[0];
  g.active.tabIndex = 0;
  table.setAttribute("aria-multiselectable", "true");

  table.addEventListener("click", function (event) {
    const cell = event.target.closest("td, th");
    if (!cell || !table.contains(cell) || (g.editing && g.editing.cell === cell)) return;
    if (cell.closest("tfoot")) return;
    if (event.shiftKey && cell.tagName === "TD") return; // Shift+click extends the range (selection.js)
    if (event.target.closest("a, input, button, summary, select, [role=button], [data-resize], .fill-handle")) {
      if (cell !== g.active && !event.target.closest(".grid-catcher")) {
        g.focusCell(cell, { keepRange: event.shiftKey });
        // The control keeps the focus it was given by the click.
        if (event.target.focus && !event.target.closest(".fill-handle")) event.target.focus();
      }
      return;
    }
    g.focusCell(cell, { keepRange: event.shiftKey });
  });

  // Tab into the grid lands on the active cell; a text cell reached by Tab hands the focus on
  // to its catcher.
  table.addEventListener("focusin", function (event) {
    const cell = event.target.closest("td, th");
    if (!cell || cell.closest("tfoot") || g.editing) return;
    if (event.target.closest(".filter-button")) return; // the header's own tab stop (filters.js)
    if (event.target.closest("a, summary, button, select, [role=button]") && cell === g.active) return;
    if (event.target.classList.contains("row-pick") || event.target.classList.contains("grid-catcher")) return;
    if (cell !== g.active || (event.target === cell && takesText(g.columnOf(cell)))) {
      g.focusCell(cell, { scroll: false, keepRange: cell === g.active });
    }
  });
}
