/* What the grid does to many cells or rows at once: fill down, insert a row, move rows to the
   trash, set a field on the selected rows or on every filtered record. Each is one request
   through the page's save endpoint (or, for all filtered records, its set-field endpoint), so
   it is saved whole or not at all, with history, and can be undone. */

import { attachDateEditor } from "../dates.js";

export function installActions(g) {
  function viewOnly() {
    g.refuse(g.t("viewOnlyText", "You may view this ledger but not change it.") + " " +
             g.t("nothingChangedText", "Nothing was changed."));
  }

  // Ctrl+D: the top row of the selection is copied into the rows below it; with one row
  // selected, the row above is copied into it (as in Excel).
  g.fillDown = function () {
    if (!g.editable) return viewOnly();
    const box = g.range();
    if (!box) return;
    const all = g.rows();
    let source = box.r0, first = box.r0 + 1;
    if (box.r1 === box.r0) { source = box.r0 - 1; first = box.r0; }
    if (source < 0) return;
    const batch = { update: [] };
    const step = { updates: [] };
    for (let r = first; r <= box.r1; r++) {
      const row = all[r];
      if (!row.dataset.id) continue;
      const values = {};
      for (let c = box.c0; c <= box.c1; c++) {
        const column = g.columns[c - 1];
        const cell = row.cells[c];
        const text = all[source].cells[c].dataset.text || "";
        if (!g.writable(column) || (cell.dataset.text || "") === text) continue;
        values[column.code] = text;
        step.updates.push({ id: row.dataset.id, code: column.code, old: cell.dataset.text || "", new: text });
        cell.classList.add("saving");
      }
      if (Object.keys(values).length) batch.update.push({ id: row.dataset.id, values: values });
    }
    if (!batch.update.length) { g.say(g.t("nothingText", "Nothing to change.")); return; }
    g.save(batch, { undo: step });
  };

  // A new, empty row below the active one: typing into it creates the record.
  g.insertRow = function () {
    if (!g.editable || !g.canAdd) return viewOnly();
    const row = document.createElement("tr");
    row.className = "draft-row";
    row.dataset.draft = "1";
    const head = document.createElement("th");
    head.className = "rowhead";
    head.scope = "row";
    head.textContent = "＊";
    head.title = g.t("newRowText", "New row");
    row.appendChild(head);
    g.columns.forEach(function (column) {
      const td = document.createElement("td");
      td.dataset.code = column.code;
      td.dataset.text = "";
      row.appendChild(td);
    });
    const after = g.active && g.tbody.contains(g.active) ? g.active.parentElement : null;
    const empty = g.tbody.querySelector(".empty-row");
    if (empty) empty.remove();
    if (after) after.after(row); else g.tbody.appendChild(row);
    g.emit("row", row);
    const firstWritable = g.columns.findIndex(g.writable);
    g.focusCell(row.cells[Math.max(1, firstWritable + 1)]);
    g.say(g.t("rowInsertedText", "A new row was inserted. Type into it to create the record."));
  };

  // The rows an action applies to: the ticked ones, else those of the selected range.
  g.targetRows = function () {
    const picked = g.pickedRows();
    const rows = picked.length ? picked : g.rangeRows();
    return rows.filter(function (r) { return r.dataset.id; });
  };

  g.trashRows = function () {
    if (!g.canDelete) {
      g.refuse(g.t("noDeleteText", "You may not move records of this ledger to the trash.") + " " +
               g.t("nothingChangedText", "Nothing was changed."));
      return;
    }
    const rows = g.targetRows();
    if (!rows.length) return;
    const question = g.t("trashConfirmText", "Move the selected records to the trash?") + " (" + rows.length + ")";
    if (!window.confirm(question)) return;
    const ids = rows.map(function (r) { return r.dataset.id; });
    g.save({ trash: ids.map(function (id) { return { id: id }; }) },
           { undo: { trashed: ids }, then: function () { g.clearPicks(); } });
  };

  // -- set a field on the selected rows or on all filtered records ------------------------------
  const dialog = document.getElementById("set-field-dialog");
  if (!dialog) return;
  const form = dialog.querySelector("form");
  const select = dialog.querySelector("#set-field-code");
  const holder = dialog.querySelector("#set-field-value");
  const countSelected = dialog.querySelector("[data-count-selected]");
  let valueInput = null;

  g.columns.forEach(function (column) {
    if (!g.writable(column)) return;
    const o = document.createElement("option");
    o.value = column.code;
    o.textContent = column.name;
    select.appendChild(o);
  });
  function drawValue() {
    const column = g.columns.filter(function (c) { return c.code === select.value; })[0];
    if (valueInput && valueInput.dateEditor) valueInput.dateEditor.detach();
    holder.innerHTML = "";
    if (!column) return;
    valueInput = g.editorFor(column, "");
    valueInput.id = "set-field-input";
    valueInput.setAttribute("aria-label", g.t("valueText", "Value") + ": " + column.name);
    holder.appendChild(valueInput);
    // A date typed here is read as in a cell; the popup lives in the (top layer) dialog.
    if (["date", "month", "datetime"].indexOf(column.editor.kind) >= 0) {
      attachDateEditor(valueInput, column.editor.kind, { container: dialog, escapeCloses: true, side: "first" });
    }
  }
  select.addEventListener("change", drawValue);

  g.openSetField = function () {
    if (!g.editable) return viewOnly();
    if (!select.options.length) return;
    const column = g.columnOf(g.active);
    if (column && g.writable(column)) select.value = column.code;
    drawValue();
    const n = g.targetRows().length;
    countSelected.textContent = String(n);
    const selectedRadio = form.querySelector('input[value="selected"]');
    selectedRadio.disabled = !n;
    (n ? selectedRadio : form.querySelector('input[value="filtered"]')).checked = true;
    dialog.showModal();
    select.focus();
  };

  dialog.addEventListener("close", function () {
    if (dialog.returnValue !== "apply") { if (g.active) g.focusCell(g.active); return; }
    const code = select.value;
    const value = valueInput ? valueInput.value : "";
    const scope = form.querySelector('input[name="scope"]:checked').value;
    if (scope === "selected") setOnRows(code, value);
    else setOnFiltered(code, value);
  });

  function setOnRows(code, value) {
    const rows = g.targetRows();
    const step = { updates: [] };
    const batch = { update: [] };
    rows.forEach(function (row) {
      const cell = row.querySelector('td[data-code="' + code + '"]');
      const old = cell ? cell.dataset.text || "" : "";
      if (cell && old === value) return;
      const values = {};
      values[code] = value;
      batch.update.push({ id: row.dataset.id, values: values });
      if (cell) { step.updates.push({ id: row.dataset.id, code: code, old: old, new: value }); cell.classList.add("saving"); }
    });
    if (!batch.update.length) { g.say(g.t("nothingText", "Nothing to change.")); return; }
    g.save(batch, { undo: step, kind: "bulk" });
  }

  function setOnFiltered(code, value) {
    g.post(g.t("setFieldUrl"), { code: code, value: value, query: window.location.search }).then(function (res) {
      if (res.status !== 200) {
        const error = (res.data && res.data.error) || {};
        let text = error.message || ("HTTP " + res.status);
        if (error.details && error.details.items) {
          text += " " + error.details.items.slice(0, 5).map(function (p) {
            return "#" + (p.id || "?") + ": " + Object.keys(p.fields || {}).map(function (k) { return p.fields[k]; }).join(", ");
          }).join(" / ");
        }
        g.refuse(text);
        return;
      }
      const data = res.data;
      (data.updated || []).forEach(function (r) { g.replaceRow(r.html); });
      const step = { updates: (data.updated || []).map(function (r) {
        return { id: String(r.id), code: code, old: data.before[r.id] || "", new: value };
      }) };
      g.emit("saved", data, { update: [], create: [], trash: [], restore: [] }, { undo: step });
      document.body.dispatchEvent(new CustomEvent("grid-saved"));
      g.toast("");
      g.say(g.t("savedText", "Saved") + " (" + (data.updated || []).length + ")");
    }, function () {
      g.refuse(g.t("networkText", "The server could not be reached: nothing was saved."));
    });
  }
}
