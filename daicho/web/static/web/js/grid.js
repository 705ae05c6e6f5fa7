/* The list page's grid: move with the keyboard, edit cells in place, paste a block from Excel,
   undo the last edit, resolve conflicts without losing what was typed.

   Every save goes to the page's save endpoint as one bulk request ({update, create}); the server
   answers with the re-rendered rows, so formatting lives in one place (daicho/web/widgets.py).
   Each row carries the revision it was rendered at; that is the revision a save sends. */
(function () {
  "use strict";
  var table = document.getElementById("grid");
  if (!table || !table.tHead) return;

  var editable = table.dataset.editable === "1";
  var csrf = document.body.dataset.csrf;
  var status = document.getElementById("grid-status");
  var toast = document.getElementById("grid-toast");
  var undoButton = document.getElementById("undo");
  var dialog = document.getElementById("conflict-dialog");
  var tbody = table.tBodies[0];
  var columns = Array.prototype.slice.call(table.tHead.rows[0].cells, 1).map(function (th) {
    return { code: th.dataset.code, name: th.dataset.name,
             editor: JSON.parse(th.dataset.editor || '{"kind": "none"}') };
  });
  var active = null;
  var editing = null;
  var catcher = null; // the active text cell's own editor, focused but not shown (see focusCell)
  var undo = null;
  var queue = Promise.resolve();
  var MAX_ITEMS = 1000;

  // -- helpers ----------------------------------------------------------------------------------
  function rows() {
    return Array.prototype.filter.call(tbody.rows, function (r) { return r.dataset.id; });
  }
  function say(text) { status.textContent = ""; window.setTimeout(function () { status.textContent = text; }, 30); }
  function showToast(text, ok) {
    toast.textContent = text;
    toast.classList.toggle("ok", !!ok);
    toast.hidden = !text;
  }
  function columnOf(cell) { return cell.cellIndex > 0 ? columns[cell.cellIndex - 1] : null; }
  function cellFor(id, code) {
    var row = tbody.querySelector('tr[data-id="' + id + '"]');
    return row ? row.querySelector('td[data-code="' + code + '"]') : null;
  }
  function setUndo(value) {
    undo = value;
    if (undoButton) undoButton.disabled = !value;
  }

  // -- focus and movement -----------------------------------------------------------------------
  // A selected text cell holds the keyboard focus in its editor, made ready but not shown (the
  // "catcher"): a Japanese IME converts only inside an editable element, so with the focus on
  // the cell itself the first keystroke of 「かんり」 would arrive as a bare "k". The first
  // character or composition then turns the catcher into the visible editor in place, without
  // moving the focus, so nothing typed is lost. Other cells (choices, dates) take the focus
  // themselves and open their editor on the first key.
  function takesText(column) {
    return editable && column && (column.editor.kind === "text" || column.editor.kind === "textarea");
  }
  function dropCatcher() {
    if (catcher && catcher.parentElement) catcher.parentElement.removeChild(catcher);
    catcher = null;
  }
  function focusCell(cell, scroll) {
    if (!cell) return;
    if (active && active !== cell) {
      active.tabIndex = -1;
      active.classList.remove("selected");
    }
    active = cell;
    cell.classList.add("selected");
    var column = columnOf(cell);
    if (cell.tagName === "TD" && !editing && takesText(column)) {
      if (!catcher || catcher.parentElement !== cell) {
        dropCatcher();
        catcher = editorFor(column, "");
        catcher.classList.add("grid-catcher");
        catcher.setAttribute("aria-label", column.name + ": " + (cell.dataset.text || cell.textContent.trim()));
        catcher.addEventListener("compositionstart", onCatcherTyping);
        catcher.addEventListener("input", onCatcherTyping);
        cell.appendChild(catcher);
      }
      cell.tabIndex = -1;
      catcher.tabIndex = 0;
      catcher.focus({ preventScroll: scroll === false });
      return;
    }
    dropCatcher();
    cell.tabIndex = 0;
    cell.focus({ preventScroll: scroll === false });
  }
  function onCatcherTyping(event) {
    var cell = event.target.parentElement;
    if (!editing && event.target === catcher && cell === active) startEdit(cell, undefined, true);
  }
  function move(cell, dr, dc) {
    var all = rows();
    var r = all.indexOf(cell.parentElement) + dr;
    var c = cell.cellIndex + dc;
    r = Math.max(0, Math.min(all.length - 1, r));
    c = Math.max(0, Math.min(columns.length, c));
    if (all[r]) focusCell(all[r].cells[c]);
  }
  function prepare(row) {
    // Links inside cells are reached through the cell (Enter), not by Tab: one tab stop per grid.
    row.querySelectorAll("a").forEach(function (a) { a.tabIndex = -1; });
    Array.prototype.forEach.call(row.cells, function (c) { if (c !== active) c.tabIndex = -1; });
  }
  rows().forEach(prepare);
  var first = rows()[0];
  if (first) {
    active = first.cells[Math.min(1, first.cells.length - 1)];
    active.tabIndex = 0;
  }

  table.addEventListener("click", function (event) {
    var cell = event.target.closest("td, tbody th");
    if (!cell || !tbody.contains(cell) || (editing && editing.cell === cell)) return;
    if (!event.target.closest("a")) focusCell(cell);
  });
  table.addEventListener("dblclick", function (event) {
    var cell = event.target.closest("td");
    if (cell && tbody.contains(cell) && !event.target.closest("a")) startEdit(cell);
  });

  table.addEventListener("keydown", function (event) {
    if (editing || !active || !tbody.contains(event.target)) return;
    var cell = active;
    var ctrl = event.ctrlKey || event.metaKey;
    var handled = true;
    switch (event.key) {
      case "ArrowUp": move(cell, -1, 0); break;
      case "ArrowDown": move(cell, 1, 0); break;
      case "ArrowLeft": move(cell, 0, -1); break;
      case "ArrowRight": move(cell, 0, 1); break;
      case "PageUp": move(cell, -10, 0); break;
      case "PageDown": move(cell, 10, 0); break;
      case "Home": ctrl ? move(cell, -1e6, -1e6) : move(cell, 0, -1e6); break;
      case "End": ctrl ? move(cell, 1e6, 1e6) : move(cell, 0, 1e6); break;
      case "Enter":
      case "F2":
        if (cell.tagName === "TH" || !startEdit(cell)) {
          var link = cell.querySelector("a");
          if (link && event.key === "Enter") link.click();
        }
        break;
      case "Delete":
      case "Backspace":
        clearCell(cell);
        break;
      default:
        handled = false;
        if (ctrl && (event.key === "z" || event.key === "Z")) {
          doUndo();
          handled = true;
        } else if (!ctrl && !event.altKey && (event.key.length === 1 || event.key === "Process" ||
                                                event.isComposing)) {
          // Typing replaces the cell, as in Excel: the editor opens empty and takes the focus
          // before the key's default action, so the character (or the IME's composition)
          // lands in it.
          if (cell.tagName === "TD" && !(catcher && catcher.parentElement === cell)) {
            startEdit(cell, "");
          }
        }
    }
    if (handled) event.preventDefault();
  });

  // -- editing ----------------------------------------------------------------------------------
  function editorFor(column, text) {
    var spec = column.editor, el;
    if (spec.kind === "select") {
      el = document.createElement("select");
      spec.choices.forEach(function (pair) {
        var o = document.createElement("option");
        o.value = pair[0];
        o.textContent = pair[1];
        el.appendChild(o);
      });
      if (text && !spec.choices.some(function (p) { return p[0] === text; })) {
        var extra = document.createElement("option");
        extra.value = extra.textContent = text;
        el.appendChild(extra);
      }
    } else if (spec.kind === "textarea") {
      el = document.createElement("textarea");
      el.rows = 3;
    } else {
      el = document.createElement("input");
      el.type = { date: "date", month: "month", datetime: "datetime-local" }[spec.kind] || "text";
      if (spec.inputmode) el.inputMode = spec.inputmode;
    }
    el.value = text;
    el.setAttribute("aria-label", column.name);
    return el;
  }

  function startEdit(cell, initial, typed) {
    var column = columnOf(cell);
    if (!editable || !column) return false;
    if (column.editor.kind === "none") {
      say(column.name + ": " + (table.dataset.readonlyText || "—"));
      return false;
    }
    var text = initial !== undefined ? initial : (cell.dataset.text || "");
    var shown = cell.cloneNode(true);
    var hidden = shown.querySelector(".grid-catcher");
    if (hidden) hidden.remove();
    var input;
    if (catcher && catcher.parentElement === cell) {
      // The focused catcher becomes the editor where it is. typed: it already holds what was
      // typed (or the IME is composing in it), which must not be touched.
      input = catcher;
      catcher = null;
      input.classList.remove("grid-catcher");
      input.setAttribute("aria-label", column.name);
      if (!typed) input.value = text;
    } else {
      input = editorFor(column, text);
    }
    editing = { cell: cell, input: input, html: shown.innerHTML, column: column };
    cell.classList.add("editing");
    cell.classList.remove("invalid");
    Array.prototype.slice.call(cell.childNodes).forEach(function (node) {
      if (node !== input) cell.removeChild(node);
    });
    if (input.parentElement !== cell) cell.appendChild(input);
    if (document.activeElement !== input) input.focus();
    if (!typed && input.setSelectionRange && input.type === "text") {
      try { input.setSelectionRange(text.length, text.length); } catch (e) { /* not a text input */ }
    }
    input.addEventListener("keydown", onEditorKey);
    input.addEventListener("blur", function () {
      // Clicking elsewhere saves, as in Excel; the dialog taking focus does not.
      window.setTimeout(function () { if (editing && editing.input === input) commit(0, 0, false); }, 0);
    });
    return true;
  }

  function onEditorKey(event) {
    var multiline = editing.column.editor.kind === "textarea";
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

  function finish() {
    var ed = editing;
    editing = null;
    ed.cell.classList.remove("editing");
    ed.cell.innerHTML = ed.html;
    ed.cell.querySelectorAll("a").forEach(function (a) { a.tabIndex = -1; });
    return ed;
  }

  function cancel() {
    var ed = finish();
    focusCell(ed.cell);
    say(table.dataset.cancelText || "");
  }

  function commit(dr, dc, refocus) {
    var ed = finish();
    var text = ed.input.value;
    var cell = ed.cell;
    if (refocus) {
      focusCell(cell);
      if (dr || dc) move(cell, dr, dc);
    }
    if (text === (cell.dataset.text || "")) return;
    var id = cell.parentElement.dataset.id;
    var values = {};
    values[ed.column.code] = text;
    cell.classList.add("saving");
    save({ update: [{ id: id, values: values }], create: [] },
         [{ id: id, code: ed.column.code, old: cell.dataset.text || "" }], true);
  }

  function clearCell(cell) {
    var column = columnOf(cell);
    if (!editable || !column || column.editor.kind === "none" || !(cell.dataset.text || "")) return;
    var id = cell.parentElement.dataset.id;
    var values = {};
    values[column.code] = "";
    cell.classList.add("saving");
    save({ update: [{ id: id, values: values }], create: [] },
         [{ id: id, code: column.code, old: cell.dataset.text || "" }], true);
  }

  // -- saving -----------------------------------------------------------------------------------
  function revisionOf(id) {
    var row = tbody.querySelector('tr[data-id="' + id + '"]');
    return row ? parseInt(row.dataset.revision, 10) : null;
  }

  function replaceRow(html) {
    var holder = document.createElement("tbody");
    holder.innerHTML = html;
    var fresh = holder.rows[0];
    if (!fresh) return null;
    var old = tbody.querySelector('tr[data-id="' + fresh.dataset.id + '"]');
    var activeCode = active && old && active.parentElement === old ? active.cellIndex : -1;
    // Replacing the row takes the focus away from a cell (or its catcher) in it: give it back.
    var hadFocus = table.contains(document.activeElement);
    prepare(fresh);
    if (old) {
      if (editing && editing.cell.parentElement === old) {
        // Keep the cell being typed into; take the saved value of the rest of the row.
        var twin = fresh.cells[editing.cell.cellIndex];
        editing.html = twin.innerHTML;
        editing.cell.dataset.text = twin.dataset.text;
        fresh.replaceChild(editing.cell, twin);
      }
      tbody.replaceChild(fresh, old);
    } else {
      var empty = tbody.querySelector(".empty-row");
      if (empty) empty.remove();
      tbody.appendChild(fresh);
    }
    if (activeCode >= 0) {
      var cell = fresh.cells[activeCode];
      if (!hadFocus) {
        dropCatcher();
        active = cell;
        cell.tabIndex = 0;
        cell.classList.add("selected");
      } else {
        focusCell(cell, false);
      }
    }
    return fresh;
  }

  function post(body) {
    body.columns = columns.map(function (c) { return c.code; });
    return fetch(table.dataset.saveUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
      body: JSON.stringify(body)
    }).then(function (resp) {
      return resp.json().then(function (data) { return { status: resp.status, data: data }; },
                              function () { return { status: resp.status, data: {} }; });
    });
  }

  // batch: {update: [{id, values}], create: [{values}]}; revisions are read when it is sent, so
  // consecutive edits of one row each build on the previous save.
  function save(batch, undoInfo, recordUndo) {
    queue = queue.then(function () { return send(batch, undoInfo, recordUndo); },
                       function () { return send(batch, undoInfo, recordUndo); });
    return queue;
  }

  function send(batch, undoInfo, recordUndo, revisions) {
    var body = {
      update: batch.update.map(function (item) {
        var rev = revisions && revisions[item.id] !== undefined ? revisions[item.id] : revisionOf(item.id);
        return { id: parseInt(item.id, 10), revision: rev, values: item.values };
      }),
      create: batch.create
    };
    return post(body).then(function (res) {
      clearMarks(batch);
      if (res.status === 200) return saved(res.data, undoInfo, recordUndo);
      var error = (res.data && res.data.error) || {};
      if (res.status === 409 && res.data.dialog) return conflict(batch, undoInfo, recordUndo, res.data, body);
      if (res.status === 400 && error.details && error.details.items) return invalid(batch, error);
      showToast(error.message || ("HTTP " + res.status));
      say(error.message || "");
      reopenIfSingle(batch);
    }).catch(function () {
      clearMarks(batch);
      showToast(table.dataset.networkText || "Network error: nothing was saved.");
      reopenIfSingle(batch);
    });
  }

  function clearMarks(batch) {
    batch.update.forEach(function (item) {
      Object.keys(item.values).forEach(function (code) {
        var cell = cellFor(item.id, code);
        if (cell) cell.classList.remove("saving");
      });
    });
  }

  function saved(data, undoInfo, recordUndo) {
    var created = [];
    (data.updated || []).forEach(function (r) { replaceRow(r.html); });
    (data.created || []).forEach(function (r) { replaceRow(r.html); created.push(r.id); });
    undoInfo.forEach(function (u) {
      var cell = cellFor(u.id, u.code);
      if (cell) {
        cell.classList.add("saved-flash");
        window.setTimeout(function () { cell.classList.remove("saved-flash"); }, 800);
      }
    });
    if (recordUndo) setUndo({ entries: undoInfo, created: created });
    // The totals row (htmx) listens for this and reloads itself.
    document.body.dispatchEvent(new CustomEvent("grid-saved"));
    var n = (data.updated || []).length + created.length;
    showToast("");
    say((table.dataset.savedText || "Saved") + " (" + n + ")");
  }

  // Put the typed text back into its cell so that a refused single edit is never lost.
  function reopenIfSingle(batch) {
    if (batch.update.length !== 1 || batch.create.length) return;
    var codes = Object.keys(batch.update[0].values);
    if (codes.length !== 1) return;
    var cell = cellFor(batch.update[0].id, codes[0]);
    if (cell && !editing) {
      focusCell(cell);
      startEdit(cell, String(batch.update[0].values[codes[0]]));
    }
  }

  function invalid(batch, error) {
    var lines = [];
    error.details.items.forEach(function (problem) {
      var item = problem.op === "update" ? batch.update[problem.index] : null;
      Object.keys(problem.fields || {}).forEach(function (code) {
        var column = columns.filter(function (c) { return c.code === code; })[0];
        var label = (column ? column.name : code) + (item ? " (#" + item.id + ")" : "");
        lines.push(label + ": " + problem.fields[code]);
        var cell = item ? cellFor(item.id, code) : null;
        if (cell) {
          cell.classList.add("invalid");
          cell.title = problem.fields[code];
        }
      });
    });
    showToast(error.message + " " + lines.join(" / "));
    say(error.message + " " + lines.join(" / "));
    reopenIfSingle(batch);
  }

  // -- conflicts --------------------------------------------------------------------------------
  function conflict(batch, undoInfo, recordUndo, data, body) {
    if (data.row) replaceRow(data.row);
    dialog.innerHTML = data.dialog;
    var form = dialog.querySelector("form");
    var index = parseInt(form.dataset.index, 10);
    var item = batch.update[index];
    dialog.showModal();
    var firstInput = dialog.querySelector(".mine-input");
    if (firstInput) firstInput.focus();
    dialog.addEventListener("close", function onClose() {
      dialog.removeEventListener("close", onClose);
      if (dialog.returnValue !== "save") {
        showToast(table.dataset.notSavedText || "Not saved.");
        reopenIfSingle(batch);
        return;
      }
      // Keep mine → send my (possibly edited) text at their revision; take theirs → drop it.
      form.querySelectorAll(".conflict-field").forEach(function (box) {
        var code = box.dataset.code;
        var pick = box.querySelector('input[type="radio"]:checked');
        if (pick && pick.value === "theirs") {
          delete item.values[code];
        } else {
          item.values[code] = box.querySelector(".mine-input").value;
        }
      });
      var revisions = {};
      body.update.forEach(function (u) { revisions[u.id] = u.revision; });
      revisions[item.id] = parseInt(form.dataset.revision, 10);
      batch.update = batch.update.filter(function (u) { return Object.keys(u.values).length; });
      if (!batch.update.length && !batch.create.length) {
        say(table.dataset.keptText || "Kept their values.");
        return;
      }
      queue = queue.then(function () { return send(batch, undoInfo, recordUndo, revisions); });
    });
  }

  // -- undo -------------------------------------------------------------------------------------
  function doUndo() {
    if (!undo) return;
    var last = undo;
    setUndo(null);
    var byRow = {};
    last.entries.forEach(function (u) {
      if (last.created.indexOf(parseInt(u.id, 10)) >= 0) return;
      (byRow[u.id] = byRow[u.id] || {})[u.code] = u.old;
    });
    var batch = { update: Object.keys(byRow).map(function (id) { return { id: id, values: byRow[id] }; }),
                  create: [] };
    if (batch.update.length) save(batch, [], false);
    last.created.forEach(function (id) {
      var rev = revisionOf(id);
      fetch(table.dataset.apiRecords + "/" + id + "?revision=" + rev, {
        method: "DELETE", credentials: "same-origin", headers: { "X-CSRFToken": csrf }
      }).then(function (resp) {
        if (resp.status === 204) {
          var row = tbody.querySelector('tr[data-id="' + id + '"]');
          if (row) row.remove();
        }
      });
    });
    say(table.dataset.undoneText || "Undone.");
  }
  if (undoButton) undoButton.addEventListener("click", doUndo);

  // -- paste from Excel -------------------------------------------------------------------------
  // Excel puts tab-separated lines on the clipboard; a cell holding a tab, a line break or a quote
  // is written in double quotes with "" for a quote.
  function parseTsv(text) {
    var out = [], row = [], cell = "", i = 0, quoted = false;
    text = text.replace(/\r\n?/g, "\n");
    while (i < text.length) {
      var ch = text[i];
      if (quoted) {
        if (ch === '"' && text[i + 1] === '"') { cell += '"'; i += 2; continue; }
        if (ch === '"') { quoted = false; i++; continue; }
        cell += ch; i++; continue;
      }
      if (ch === '"' && cell === "") { quoted = true; i++; continue; }
      if (ch === "\t") { row.push(cell); cell = ""; i++; continue; }
      if (ch === "\n") { row.push(cell); out.push(row); row = []; cell = ""; i++; continue; }
      cell += ch; i++;
    }
    if (cell !== "" || row.length) { row.push(cell); out.push(row); }
    return out;
  }

  table.addEventListener("paste", function (event) {
    if (editing || !editable || !active || !tbody.contains(active)) return;
    var text = (event.clipboardData || window.clipboardData).getData("text/plain");
    if (!text) return;
    event.preventDefault();
    pasteBlock(parseTsv(text));
  });

  function pasteBlock(block) {
    var all = rows();
    var startRow = Math.max(0, all.indexOf(active.parentElement));
    var startCol = Math.max(1, active.cellIndex);
    var batch = { update: [], create: [] };
    var undoInfo = [];
    var skipped = 0;
    block.forEach(function (line, i) {
      var row = all[startRow + i];
      var values = {};
      line.forEach(function (value, j) {
        var column = columns[startCol - 1 + j];
        if (!column) return;
        if (column.editor.kind === "none") { skipped++; return; }
        if (row) {
          var cell = row.cells[startCol + j];
          if ((cell.dataset.text || "") === value) return;
          undoInfo.push({ id: row.dataset.id, code: column.code, old: cell.dataset.text || "" });
          cell.classList.add("saving");
        }
        values[column.code] = value;
      });
      if (!Object.keys(values).length) return;
      if (row) batch.update.push({ id: row.dataset.id, values: values });
      else batch.create.push({ values: values });
    });
    if (batch.update.length + batch.create.length > MAX_ITEMS) {
      showToast((table.dataset.tooManyText || "At most 1000 rows at once.") + "");
      clearMarks(batch);
      return;
    }
    if (!batch.update.length && !batch.create.length) {
      say(table.dataset.nothingText || "Nothing to change.");
      return;
    }
    if (skipped) say((table.dataset.skippedText || "Read-only cells were skipped: ") + skipped);
    save(batch, undoInfo, true);
  }

  table.addEventListener("copy", function (event) {
    if (editing || !active || !tbody.contains(active)) return;
    event.clipboardData.setData("text/plain", active.dataset.text !== undefined ? active.dataset.text
                                                                                  : active.textContent.trim());
    event.preventDefault();
  });

  // -- column widths ----------------------------------------------------------------------------
  var cols = {};
  table.querySelectorAll("col[data-code]").forEach(function (col) { cols[col.dataset.code] = col; });
  function widths() {
    var out = {};
    Object.keys(cols).forEach(function (code) {
      if (cols[code].style.width) out[code] = parseInt(cols[code].style.width, 10);
    });
    return out;
  }
  function publishWidths() {
    var json = JSON.stringify(widths());
    document.querySelectorAll("input[data-widths]").forEach(function (input) { input.value = json; });
  }
  function freeze() {
    if (table.classList.contains("resized")) return;
    var heads = table.tHead.rows[0].cells;
    var colEls = table.querySelectorAll("col");
    for (var i = 0; i < heads.length; i++) {
      if (colEls[i] && !colEls[i].style.width) colEls[i].style.width = heads[i].offsetWidth + "px";
    }
    table.classList.add("resized");
  }
  var preset = Object.keys(cols).filter(function (code) { return cols[code].dataset.width; });
  if (preset.length) {
    freeze();
    preset.forEach(function (code) { cols[code].style.width = cols[code].dataset.width + "px"; });
  }
  publishWidths();
  table.addEventListener("pointerdown", function (event) {
    var handle = event.target.closest("[data-resize]");
    if (!handle) return;
    event.preventDefault();
    freeze();
    var th = handle.closest("th");
    var col = cols[th.dataset.code];
    var startX = event.clientX, startW = th.offsetWidth;
    handle.setPointerCapture(event.pointerId);
    function onMove(e) { col.style.width = Math.max(48, startW + e.clientX - startX) + "px"; }
    function onUp() {
      handle.removeEventListener("pointermove", onMove);
      handle.removeEventListener("pointerup", onUp);
      publishWidths();
    }
    handle.addEventListener("pointermove", onMove);
    handle.addEventListener("pointerup", onUp);
  });

  // For tests and for people who reach the grid by Tab: the focused cell is the active one.
  table.addEventListener("focusin", function (event) {
    var cell = event.target.closest("td, tbody th");
    if (!cell || !tbody.contains(cell) || editing) return;
    // A text cell reached by Tab hands the focus on to its catcher.
    if (cell !== active || (event.target === cell && takesText(columnOf(cell)))) focusCell(cell, false);
  });
})();
