/* The record form's editor of detail rows (the subtable type): a table of inputs, one row per
   detail row, that writes the rows as JSON into the field's hidden input on every change
   (the server cleans each cell with its column's type and answers with the row and column of
   anything it refuses).

   Keyboard, as in a grid: Enter moves to the same column one row down (adding a row at the
   end), Shift+Enter one row up, Tab / Shift+Tab move right / left through the cells and the
   row's buttons. Alt+↑ / Alt+↓ move the row. Pasting cells copied from Excel (tab-separated
   lines) fills the block from the cell that has the focus, adding rows as needed. */

function texts(box) {
  return box.querySelector("template[data-subtable-texts]").dataset;
}

function cellInput(column, value, t) {
  let input;
  const kind = column.type;
  if (kind === "yesno" || kind === "choice") {
    input = document.createElement("select");
    const options = kind === "yesno"
      ? [["", ""], ["true", t.yes], ["false", t.no]]
      : [["", ""], ...(column.options.choices || []).map((c) => [c, c])];
    for (const [v, label] of options) {
      const o = document.createElement("option");
      o.value = v;
      o.textContent = label;
      input.append(o);
    }
    input.value = value === true ? "true" : value === false ? "false" : (value ?? "");
  } else if (kind === "formula") {
    // Computed by the server from the row's cells when the record is saved.
    input = document.createElement("output");
    input.className = "subtable-computed";
    input.value = value ?? "";
    input.dataset.code = column.code;
    input.dataset.kind = kind;
    return input;
  } else {
    input = document.createElement("input");
    input.type = "text";
    if (kind === "number") input.inputMode = "decimal";
    input.value = Array.isArray(value) ? value.join("、") : (value ?? "");
  }
  input.dataset.code = column.code;
  input.dataset.kind = kind;
  return input;
}

function readCell(input) {
  const text = input.value.trim();
  if (text === "") return null;
  if (input.dataset.kind === "yesno") return text === "true";
  if (input.dataset.kind === "multichoice") return text.split(/[、,\n]/).map((s) => s.trim()).filter(Boolean);
  return text;
}

function setup(box) {
  const hidden = box.querySelector("[data-subtable-value]");
  const table = box.querySelector("[data-subtable-table]");
  const columns = JSON.parse(document.getElementById(box.id + "-columns").textContent);
  const t = texts(box);
  let rows = [];
  try { rows = hidden.value ? JSON.parse(hidden.value) : []; } catch { rows = []; }

  const head = table.createTHead().insertRow();
  const corner = document.createElement("th");
  corner.scope = "col";
  corner.textContent = t.row;
  head.append(corner);
  for (const c of columns) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = c.name;
    head.append(th);
  }
  const actions = document.createElement("th");
  actions.scope = "col";
  const label = document.createElement("span");
  label.className = "visually-hidden";
  label.textContent = t.actions;
  actions.append(label);
  head.append(actions);
  const body = table.createTBody();

  function button(label, text, action) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "subtable-button";
    b.textContent = text;
    b.setAttribute("aria-label", label);
    b.title = label;
    b.dataset.action = action;
    return b;
  }

  function addRow(values, before) {
    const tr = document.createElement("tr");
    if (values && values.id != null) tr.dataset.id = values.id;
    const num = document.createElement("th");
    num.scope = "row";
    num.className = "subtable-num";
    tr.append(num);
    for (const c of columns) {
      const td = document.createElement("td");
      const input = cellInput(c, values ? values[c.code] : null, t);
      input.setAttribute("aria-label", c.name);
      td.append(input);
      tr.append(td);
    }
    const tools = document.createElement("td");
    tools.className = "subtable-actions";
    tools.append(button(t.up, "↑", "up"), button(t.down, "↓", "down"), button(t.remove, "✕", "remove"));
    tr.append(tools);
    body.insertBefore(tr, before || null);
    return tr;
  }

  function renumber() {
    [...body.rows].forEach((tr, n) => {
      tr.cells[0].textContent = String(n + 1);
      tr.querySelectorAll("input, select").forEach((el) => {
        el.setAttribute("aria-label", `${t.row} ${n + 1} ${columns.find((c) => c.code === el.dataset.code).name}`);
      });
    });
  }

  function sync() {
    const out = [];
    for (const tr of body.rows) {
      const row = {};
      let filled = false;
      for (const input of tr.querySelectorAll("input, select")) {
        const v = readCell(input);
        if (v !== null) { row[input.dataset.code] = v; filled = true; }
      }
      if (!filled) continue;
      if (tr.dataset.id) row.id = Number(tr.dataset.id);
      out.push(row);
    }
    hidden.value = out.length ? JSON.stringify(out) : "";
    renumber();
  }

  function cellAt(tr, col) {
    return tr ? tr.querySelectorAll("input, select")[col] : null;
  }

  function position(el) {
    const tr = el.closest("tr");
    return [tr, [...tr.querySelectorAll("input, select")].indexOf(el)];
  }

  for (const r of rows) addRow(r);
  if (!rows.length) addRow(null);
  renumber();

  box.querySelector("[data-subtable-add]").addEventListener("click", () => {
    const tr = addRow(null);
    renumber();
    cellAt(tr, 0).focus();
  });

  body.addEventListener("click", (ev) => {
    const b = ev.target.closest("button[data-action]");
    if (!b) return;
    const tr = b.closest("tr");
    if (b.dataset.action === "remove") {
      const next = tr.nextElementSibling || tr.previousElementSibling;
      tr.remove();
      if (!body.rows.length) addRow(null);
      sync();
      (next && body.contains(next) ? next.querySelector("button[data-action=remove]") : cellAt(body.rows[0], 0)).focus();
    } else if (b.dataset.action === "up" && tr.previousElementSibling) {
      body.insertBefore(tr, tr.previousElementSibling);
      sync();
      b.focus();
    } else if (b.dataset.action === "down" && tr.nextElementSibling) {
      body.insertBefore(tr.nextElementSibling, tr);
      sync();
      b.focus();
    }
  });

  body.addEventListener("input", sync);
  body.addEventListener("change", sync);

  body.addEventListener("keydown", (ev) => {
    const el = ev.target;
    if (!el.matches("input, select")) return;
    const [tr, col] = position(el);
    if (ev.key === "Enter" && !ev.isComposing) {
      ev.preventDefault();
      let target = ev.shiftKey ? tr.previousElementSibling : tr.nextElementSibling;
      if (!target && !ev.shiftKey) { target = addRow(null); renumber(); }
      if (target) cellAt(target, col).focus();
    } else if (ev.altKey && (ev.key === "ArrowUp" || ev.key === "ArrowDown")) {
      ev.preventDefault();
      if (ev.key === "ArrowUp" && tr.previousElementSibling) body.insertBefore(tr, tr.previousElementSibling);
      if (ev.key === "ArrowDown" && tr.nextElementSibling) body.insertBefore(tr.nextElementSibling, tr);
      sync();
      el.focus();
    }
  });

  body.addEventListener("paste", (ev) => {
    const el = ev.target;
    if (!el.matches("input")) return;
    const text = (ev.clipboardData || window.clipboardData).getData("text");
    if (!/[\t\n]/.test(text)) return; // one value: the input takes it as typed
    ev.preventDefault();
    const lines = text.replace(/\r\n?/g, "\n").replace(/\n$/, "").split("\n");
    let [tr, col] = position(el);
    for (const line of lines) {
      if (!tr) tr = addRow(null);
      line.split("\t").forEach((value, k) => {
        const input = cellAt(tr, col + k);
        if (!input) return;
        if (input.tagName === "SELECT") {
          const want = value.trim();
          const match = [...input.options].find((o) => o.value === want || o.textContent === want);
          input.value = match ? match.value : "";
        } else {
          input.value = value.trim();
        }
      });
      tr = tr.nextElementSibling;
    }
    sync();
  });
}

for (const box of document.querySelectorAll("fieldset[data-subtable]")) setup(box);
