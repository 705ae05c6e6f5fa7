/* Copy and paste of ranges, both ways with Excel. Excel's clipboard text is tab-separated lines
   ending in CR LF; a cell holding a tab, a line break or a double quote is written in double
   quotes with "" for a quote. Ctrl+C writes the selected range so; Ctrl+V reads such a block and
   saves it from the selection's top left cell in one request (all or nothing). One copied value
   pasted on a larger selection fills all of it, as in Excel. */

export function quoteTsv(value) {
  return /[\t\n\r"]/.test(value) ? '"' + value.replace(/"/g, '""') + '"' : value;
}

export function toTsv(lines) {
  return lines.map(function (line) { return line.map(quoteTsv).join("\t"); }).join("\r\n") + "\r\n";
}

export function parseTsv(text) {
  const out = [];
  let row = [], cell = "", i = 0, quoted = false;
  text = text.replace(/\r\n?/g, "\n");
  while (i < text.length) {
    const ch = text[i];
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

export function installClipboard(g) {
  const table = g.table;

  g.copyText = function () {
    return toTsv(g.rangeCells().map(function (line) { return line.map(g.textOf); }));
  };
  g.copy = function () {
    // execCommand fires the copy event below, which puts the range on the clipboard.
    if (!document.execCommand("copy") && navigator.clipboard) navigator.clipboard.writeText(g.copyText());
  };

  table.addEventListener("copy", function (event) {
    if (g.editing || !g.active || !g.tbody.contains(g.active)) return;
    const text = g.copyText();
    event.clipboardData.setData("text/plain", text);
    event.preventDefault();
    const box = g.range();
    g.say(g.t("copiedText", "Copied:") + " " + (box ? (box.r1 - box.r0 + 1) + " × " + (box.c1 - box.c0 + 1) : ""));
  });

  table.addEventListener("paste", function (event) {
    if (g.editing || !g.active || !g.tbody.contains(g.active)) return;
    const text = (event.clipboardData || window.clipboardData).getData("text/plain");
    if (!text) return;
    event.preventDefault();
    g.pasteBlock(parseTsv(text));
  });

  g.pasteFromClipboard = function () {
    if (!navigator.clipboard || !navigator.clipboard.readText) {
      g.refuse(g.t("pasteKeyText", "Press Ctrl+V to paste."));
      return;
    }
    navigator.clipboard.readText().then(function (text) {
      if (text) g.pasteBlock(parseTsv(text));
    }, function () { g.refuse(g.t("pasteKeyText", "Press Ctrl+V to paste.")); });
  };

  g.pasteBlock = function (block) {
    if (!g.editable) {
      g.refuse(g.t("viewOnlyText", "You may view this ledger but not change it.") + " " +
               g.t("nothingPastedText", "Nothing was pasted."));
      return;
    }
    const all = g.rows();
    const box = g.range() || { r0: 0, r1: 0, c0: 1, c1: 1 };
    if (block.length === 1 && block[0].length === 1 && (box.r1 > box.r0 || box.c1 > box.c0)) {
      // One value on a larger selection: every selected cell gets it.
      const one = block[0][0];
      block = [];
      for (let r = box.r0; r <= box.r1; r++) {
        const line = [];
        for (let c = box.c0; c <= box.c1; c++) line.push(one);
        block.push(line);
      }
    }
    const startRow = box.r0;
    const startCol = box.c0;
    const batch = { update: [], create: [] };
    const step = { updates: [] };
    let skipped = 0, widest = 0;
    block.forEach(function (line, i) {
      const row = all[startRow + i];
      if (row && !row.dataset.id) return; // an inserted row is filled by typing into it
      const values = {};
      line.forEach(function (value, j) {
        const column = g.columns[startCol - 1 + j];
        if (!column) return;
        widest = Math.max(widest, j + 1);
        if (!g.writable(column)) { skipped++; return; }
        if (row) {
          const cell = row.cells[startCol + j];
          if ((cell.dataset.text || "") === value) return;
          step.updates.push({ id: row.dataset.id, code: column.code, old: cell.dataset.text || "", new: value });
          cell.classList.add("saving");
        }
        values[column.code] = value;
      });
      if (!Object.keys(values).length) return;
      if (row) batch.update.push({ id: row.dataset.id, values: values });
      else if (g.canAdd) batch.create.push({ values: values });
    });
    if (batch.update.length + batch.create.length > g.MAX_ITEMS) {
      g.table.querySelectorAll("td.saving").forEach(function (c) { c.classList.remove("saving"); });
      g.refuse(g.t("tooManyText", "At most 1000 rows at once."));
      return;
    }
    if (!batch.update.length && !batch.create.length) {
      g.say(g.t("nothingText", "Nothing to change."));
      return;
    }
    if (skipped) g.say(g.t("skippedText", "Read-only cells were skipped: ") + " " + skipped);
    g.save(batch, {
      undo: step, kind: "edit",
      then: function () {
        const rows = g.rows();
        g.selectRect(startRow, startCol, Math.min(rows.length - 1, startRow + block.length - 1),
                     startCol + Math.max(0, widest - 1));
      }
    });
  };
}
