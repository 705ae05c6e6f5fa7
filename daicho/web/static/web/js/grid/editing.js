/* Editing one cell in place: Enter or F2 opens the editor, typing replaces the value as in
   Excel, Enter saves and moves down, Tab saves and moves right, Esc cancels; clicking elsewhere
   saves. A cell of an inserted row (not yet a record) keeps what is typed and creates the record
   with all of the row's values; a refusal stays marked at the cells. A user, department or
   link column edits the name or title shown (data-label) with a type-ahead list (../picker.js);
   what is sent is the login, code or id picked, or the typed text for the server to look up.
   Dates, year-months and date-times are typed into the date editor (../dates.js): 和暦 and the
   reading before saving. */

import { attachDateEditor } from "../dates.js";
import { attachPicker } from "../picker.js";

const DATE_KINDS = { date: true, month: true, datetime: true };

export function installEditing(g) {
  g.editorFor = function (column, text) {
    const spec = column.editor;
    let el;
    if (spec.kind === "select") {
      el = document.createElement("select");
      spec.choices.forEach(function (pair) {
        const o = document.createElement("option");
        o.value = pair[0];
        o.textContent = pair[1];
        el.appendChild(o);
      });
      if (text && !spec.choices.some(function (p) { return p[0] === text; })) {
        const extra = document.createElement("option");
        extra.value = extra.textContent = text;
        el.appendChild(extra);
      }
    } else if (spec.kind === "textarea") {
      el = document.createElement("textarea");
      el.rows = 3;
    } else {
      el = document.createElement("input");
      el.type = "text";
      if (spec.inputmode) el.inputMode = spec.inputmode;
    }
    el.value = text;
    el.setAttribute("aria-label", column.name);
    return el;
  };

  g.startEdit = function (cell, initial, typed) {
    const column = g.columnOf(cell);
    if (!column) return false;
    if (!g.editable) {
      g.say(g.t("viewOnlyText", "You may view this ledger but not change it."));
      return false;
    }
    if (column.editor.kind === "none") {
      g.say(column.name + ": " + g.t("readonlyText", "—"));
      return false;
    }
    const text = initial !== undefined ? initial : (cell.dataset.label || cell.dataset.text || "");
    const shown = cell.cloneNode(true);
    shown.querySelectorAll(".grid-catcher, .fill-handle").forEach(function (el) { el.remove(); });
    let input;
    if (g.catcher && g.catcher.parentElement === cell) {
      // The focused catcher becomes the editor where it is. typed: it already holds what was
      // typed (or the IME is composing in it), which must not be touched.
      input = g.catcher;
      g.catcher = null;
      input.classList.remove("grid-catcher");
      input.setAttribute("aria-label", column.name);
      if (!typed) input.value = text;
    } else {
      input = g.editorFor(column, text);
    }
    if (DATE_KINDS[column.editor.kind]) attachDateEditor(input, column.editor.kind);
    g.editing = { cell: cell, input: input, html: shown.innerHTML, column: column };
    cell.classList.add("editing");
    Array.prototype.slice.call(cell.childNodes).forEach(function (node) {
      if (node !== input) cell.removeChild(node);
    });
    if (input.parentElement !== cell) cell.appendChild(input);
    if (document.activeElement !== input) input.focus();
    if (input.dateEditor) {
      // The editor's popup says what is wrong with the text (and reads it) where the bubble was.
      g.showBubble(null);
      input.dateEditor.open();
    }
    if (!typed && input.setSelectionRange && input.type === "text") {
      try { input.setSelectionRange(text.length, text.length); } catch (e) { /* not a text input */ }
    }
    if (column.editor.picker) {
      g.editing.picker = attachPicker(input, {
        url: column.editor.picker, enterPassesOn: true,
        noneText: g.t("noMatchText", "No match"), listLabel: g.t("suggestionsText", "Suggestions"),
        onPick: function (item, how) { if (how === "click") commit(0, 0, true); }
      });
      g.editing.picker.ask();
    }
    input.addEventListener("keydown", onEditorKey);
    input.addEventListener("blur", function () {
      // Clicking elsewhere saves, as in Excel; the dialog taking focus does not.
      window.setTimeout(function () { if (g.editing && g.editing.input === input) commit(0, 0, false); }, 0);
    });
    g.emit("editing", cell);
    return true;
  };

  function onEditorKey(event) {
    const multiline = g.editing.column.editor.kind === "textarea";
    if (event.isComposing || event.keyCode === 229) return; // the IME is still converting
    if (event.key === "Escape") {
      event.preventDefault();
      cancel();
    } else if (event.key === "Enter" && !(multiline && (event.shiftKey || event.altKey))) {
      event.preventDefault();
      commit(event.shiftKey ? -1 : 1, 0, true);
    } else if (event.key === "Tab") {
      event.preventDefault();
      commit(0, event.shiftKey ? -1 : 1, true);
    }
  }

  // A picker column's editor shows names: the picked one stands for its login, code or id, the
  // unchanged one for the cell's own value; any other text goes to the server to be looked up.
  function editedText(ed) {
    const input = ed.input;
    if (input.dataset.picked && input.value === input.dataset.pickedLabel) return input.dataset.picked;
    if (ed.cell.dataset.label && input.value === ed.cell.dataset.label) return ed.cell.dataset.text || "";
    return input.value;
  }

  function finish() {
    const ed = g.editing;
    g.editing = null;
    if (ed.picker) ed.picker.list.remove();
    if (ed.input.dateEditor) ed.input.dateEditor.detach();
    ed.cell.classList.remove("editing");
    ed.cell.innerHTML = ed.html;
    ed.cell.querySelectorAll("a").forEach(function (a) { a.tabIndex = -1; });
    g.emit("edited", ed.cell);
    return ed;
  }

  function cancel() {
    const ed = finish();
    g.focusCell(ed.cell);
    g.say(g.t("cancelText", ""));
  }

  function commit(dr, dc, refocus) {
    const ed = finish();
    const text = editedText(ed);
    const cell = ed.cell;
    if (refocus) {
      g.focusCell(cell);
      if (dr || dc) g.move(cell, dr, dc);
    }
    if (text === (cell.dataset.text || "")) return;
    const row = cell.parentElement;
    if (row.dataset.draft) {
      cell.dataset.text = text;
      cell.textContent = ed.input.value;
      saveDraft(row);
      return;
    }
    const id = row.dataset.id;
    const values = {};
    values[ed.column.code] = text;
    cell.classList.add("saving");
    g.save({ update: [{ id: id, values: values }] },
           { single: true, undo: { updates: [{ id: id, code: ed.column.code, old: cell.dataset.text || "", new: text }] } });
  }

  // An inserted row becomes a record with everything typed into it so far; once it is one,
  // later cells are ordinary updates of that record.
  function saveDraft(row) {
    row.querySelectorAll("td").forEach(function (c) { if (c.dataset.text) c.classList.add("saving"); });
    g.save(function () {
      const values = {};
      row.querySelectorAll("td").forEach(function (c) {
        if (c.dataset.text) values[c.dataset.code] = c.dataset.text;
      });
      if (row.isConnected) return { create: [{ values: values }] };
      if (!row.dataset.becameId) return null;
      return { update: [{ id: row.dataset.becameId, values: values }] };
    }, { draft: row, undoCreated: true });
  }
  g.saveDraft = saveDraft;

  // Delete or Backspace empties every writable cell of the selection, in one save.
  g.clearCells = function (cells) {
    if (!g.editable) { g.refuse(g.t("viewOnlyText", "You may view this ledger but not change it.")); return; }
    const byRow = {};
    const updates = [];
    cells.forEach(function (cell) {
      const column = g.columnOf(cell);
      if (!g.writable(column) || !(cell.dataset.text || "") || !cell.parentElement.dataset.id) return;
      const id = cell.parentElement.dataset.id;
      (byRow[id] = byRow[id] || {})[column.code] = "";
      updates.push({ id: id, code: column.code, old: cell.dataset.text, new: "" });
      cell.classList.add("saving");
    });
    if (!updates.length) return;
    g.save({ update: Object.keys(byRow).map(function (id) { return { id: id, values: byRow[id] }; }) },
           { undo: { updates: updates } });
  };
}
