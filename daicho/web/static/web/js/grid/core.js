/* The grid's shared state and its one way to the server.

   Every write (an edit, a paste, a fill, a bulk edit, rows to the trash and back, an undo step)
   is one batch {update, create, trash, restore} posted to the page's save endpoint and saved in
   one transaction; the server answers with the rows drawn again, so formatting lives in one place
   (daicho/web/widgets.py). Each row carries the revision it was drawn at; that is the revision a
   save sends unless the batch names one (undo sends the revision its own save produced). */

import { follow, placeNear } from "../popover.js";

export function createGrid(table) {
  if (!table || !table.tHead) return null;
  const texts = document.getElementById("grid-text");
  const g = {
    table: table,
    tbody: table.tBodies[0],
    editable: table.dataset.editable === "1",
    canAdd: !!texts && texts.dataset.canAdd === "1",
    canDelete: !!texts && texts.dataset.canDelete === "1",
    ledger: (texts && texts.dataset.ledger) || "",
    csrf: document.body.dataset.csrf,
    status: document.getElementById("grid-status"),
    toastBox: document.getElementById("grid-toast"),
    active: null,
    editing: null,
    handlers: {},
    queue: Promise.resolve(),
    MAX_ITEMS: 1000,
  };
  g.columns = Array.prototype.slice.call(table.tHead.rows[0].cells, 1).map(function (th) {
    return { code: th.dataset.code, name: th.dataset.name,
             editor: JSON.parse(th.dataset.editor || '{"kind": "none"}') };
  });
  g.t = function (key, fallback) {
    return (texts && texts.dataset[key]) || table.dataset[key] || fallback || "";
  };
  g.on = function (name, fn) { (g.handlers[name] = g.handlers[name] || []).push(fn); };
  g.emit = function (name) {
    const args = Array.prototype.slice.call(arguments, 1);
    (g.handlers[name] || []).forEach(function (fn) { fn.apply(null, args); });
  };
  g.rows = function () {
    return Array.prototype.filter.call(g.tbody.rows, function (r) { return r.dataset.id || r.dataset.draft; });
  };
  g.rowFor = function (id) { return g.tbody.querySelector('tr[data-id="' + id + '"]'); };
  g.cellFor = function (id, code) {
    const row = g.rowFor(id);
    return row ? row.querySelector('td[data-code="' + code + '"]') : null;
  };
  g.columnOf = function (cell) {
    return cell && cell.tagName === "TD" && cell.cellIndex > 0 ? g.columns[cell.cellIndex - 1] : null;
  };
  g.writable = function (column) { return !!column && column.editor.kind !== "none"; };
  g.textOf = function (cell) { return cell.dataset.text !== undefined ? cell.dataset.text : cell.textContent.trim(); };
  g.revisionOf = function (id) {
    const row = g.rowFor(id);
    return row ? parseInt(row.dataset.revision, 10) : null;
  };
  g.say = function (text) {
    g.status.textContent = "";
    window.setTimeout(function () { g.status.textContent = text; }, 30);
  };
  g.toast = function (text, ok) {
    g.toastBox.textContent = text;
    g.toastBox.classList.toggle("ok", !!ok);
    g.toastBox.hidden = !text;
  };
  // A refusal the user must see where they are looking: the status line and the toast.
  g.refuse = function (text) { g.toast(text); g.say(text); };
  installSaving(g);
  installCellErrors(g);
  return g;
}

function installSaving(g) {
  function post(url, body) {
    body.columns = g.columns.map(function (c) { return c.code; });
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": g.csrf, "Accept": "application/json" },
      body: JSON.stringify(body)
    }).then(function (resp) {
      return resp.json().then(function (data) { return { status: resp.status, data: data }; },
                              function () { return { status: resp.status, data: {} }; });
    });
  }
  g.post = post;

  // Put a row drawn by the server in place of the one on the page. A row that is not on the
  // page is added only when `append` says so (a new record, one back from the trash).
  g.replaceRow = function (html, append) {
    const holder = document.createElement("tbody");
    holder.innerHTML = html;
    const fresh = holder.rows[0];
    if (!fresh) return null;
    const old = g.rowFor(fresh.dataset.id);
    if (!old && !append) return null;
    g.emit("row", fresh);
    if (old) {
      g.emit("replace", old, fresh);
      g.tbody.replaceChild(fresh, old);
    } else {
      const empty = g.tbody.querySelector(".empty-row");
      if (empty) empty.remove();
      g.tbody.appendChild(fresh);
    }
    g.emit("replaced", old, fresh);
    return fresh;
  };

  // batch: {update: [{id, values, revision?}], create: [{values}], trash: [{id, revision?}],
  // restore: [id]}, or a function giving one when its turn comes (a later edit builds on the
  // save before it). opts: kind ("edit", "undo", "redo", "bulk"), undo (the step to record),
  // draft (the inserted row the create fills), then(data) after a save, failed(res).
  g.save = function (batch, opts) {
    opts = opts || {};
    function run() { return send(typeof batch === "function" ? batch() : batch, opts, null); }
    g.queue = g.queue.then(run, run);
    return g.queue;
  };

  function full(batch) {
    return { update: batch.update || [], create: batch.create || [], trash: batch.trash || [],
             restore: batch.restore || [] };
  }

  function send(batch, opts, revisions) {
    if (!batch) return null;
    batch = full(batch);
    const body = {
      update: batch.update.map(function (item) {
        const rev = revisions && revisions[item.id] !== undefined ? revisions[item.id]
          : item.revision !== undefined ? item.revision : g.revisionOf(item.id);
        return { id: parseInt(item.id, 10), revision: rev, values: item.values };
      }),
      create: batch.create,
      trash: batch.trash.map(function (item) {
        return { id: parseInt(item.id, 10),
                 revision: item.revision !== undefined ? item.revision : g.revisionOf(item.id) };
      }),
      restore: batch.restore.map(function (id) { return parseInt(id, 10); })
    };
    return post(g.table.dataset.saveUrl, body).then(function (res) {
      clearMarks(batch, opts);
      if (res.status === 200) return saved(res.data, batch, opts);
      const error = (res.data && res.data.error) || {};
      if (opts.failed) opts.failed(res);
      if (res.status === 409 && res.data.row) g.replaceRow(res.data.row);
      if (res.status === 409 && res.data.dialog && (opts.kind || "edit") === "edit") {
        return conflict(batch, opts, res.data, body);
      }
      if (res.status === 400 && error.details && error.details.items) return invalid(batch, error, opts);
      if (opts.failed) return null;
      // 404: a record is gone, or the user may not change it (the server does not say which).
      g.refuse(res.status === 404 ? g.t("notFoundText", error.message) : error.message || ("HTTP " + res.status));
      reopenIfSingle(batch, opts);
      return null;
    }).catch(function (exc) {
      clearMarks(batch, opts);
      if (window.console) window.console.warn(exc);
      if (opts.failed) opts.failed({ status: 0, data: {} });
      g.refuse(g.t("networkText", "The server could not be reached: nothing was saved."));
      reopenIfSingle(batch, opts);
    });
  }
  g.send = send;

  function clearMarks(batch, opts) {
    batch.update.forEach(function (item) {
      Object.keys(item.values).forEach(function (code) {
        const cell = g.cellFor(item.id, code);
        if (cell) cell.classList.remove("saving");
      });
    });
    if (opts.draft) opts.draft.querySelectorAll("td.saving").forEach(function (c) { c.classList.remove("saving"); });
  }

  function saved(data, batch, opts) {
    g.clearCellErrors();
    (data.updated || []).forEach(function (r) { g.replaceRow(r.html); });
    (data.restored || []).forEach(function (r) { g.replaceRow(r.html, true); });
    (data.created || []).forEach(function (r, i) {
      if (i === 0 && opts.draft && opts.draft.isConnected) {
        const holder = document.createElement("tbody");
        holder.innerHTML = r.html;
        const fresh = holder.rows[0];
        g.emit("row", fresh);
        g.emit("replace", opts.draft, fresh);
        opts.draft.dataset.becameId = r.id;
        g.tbody.replaceChild(fresh, opts.draft);
        g.emit("replaced", opts.draft, fresh);
      } else {
        g.replaceRow(r.html, true);
      }
    });
    (data.trashed || []).forEach(function (r) {
      const row = g.rowFor(r.id);
      if (row) { g.emit("removing", row); row.remove(); }
    });
    batch.update.forEach(function (u) {
      Object.keys(u.values).forEach(function (code) {
        const cell = g.cellFor(u.id, code);
        if (cell) {
          cell.classList.add("saved-flash");
          window.setTimeout(function () { cell.classList.remove("saved-flash"); }, 800);
        }
      });
    });
    g.emit("saved", data, batch, opts);
    if (opts.then) opts.then(data);
    // The totals row (htmx) listens for this and reloads itself.
    document.body.dispatchEvent(new CustomEvent("grid-saved"));
    const n = (data.updated || []).length + (data.created || []).length +
              (data.trashed || []).length + (data.restored || []).length;
    g.toast("");
    if (!opts.quiet) g.say(g.t("savedText", "Saved") + " (" + n + ")");
    return data;
  }

  // Put the typed text back into its cell so that a refused single edit is never lost.
  function reopenIfSingle(batch, opts) {
    if ((opts.kind || "edit") !== "edit" || opts.draft) return;
    if (batch.update.length !== 1 || batch.create.length || batch.trash.length) return;
    const codes = Object.keys(batch.update[0].values);
    if (codes.length !== 1 || !opts.single) return;
    const cell = g.cellFor(batch.update[0].id, codes[0]);
    if (cell && !g.editing) {
      g.focusCell(cell);
      g.startEdit(cell, String(batch.update[0].values[codes[0]]));
    }
  }

  function invalid(batch, error, opts) {
    const marks = [];
    const loose = [];
    error.details.items.forEach(function (problem) {
      const list = problem.op === "create" ? batch.create : batch.update;
      const item = list[problem.index];
      Object.keys(problem.fields || {}).forEach(function (code) {
        let cell = null;
        if (problem.op === "update" && item) cell = g.cellFor(item.id, code);
        if (problem.op === "create" && opts.draft && opts.draft.isConnected) {
          cell = opts.draft.querySelector('td[data-code="' + code + '"]');
        }
        const column = g.columns.filter(function (c) { return c.code === code; })[0];
        const label = (column ? column.name : code);
        // The refused text is not in the cell (it shows the saved value): the message names it.
        const sent = item && item.values ? item.values[code] : undefined;
        const named = sent !== undefined && sent !== "" && problem.fields[code].indexOf("「" + sent + "」") < 0;
        const said = (named ? "「" + sent + "」 " : "") + problem.fields[code];
        if (cell) marks.push({ cell: cell, message: said });
        else loose.push(label + " (" + (problem.op === "create" ? g.t("newRowText", "new row") + " " + (problem.index + 1)
                                                        : "#" + (item ? item.id : "?")) + "): " + problem.fields[code]);
      });
    });
    g.showCellErrors(marks);
    const summary = error.message + (marks.length ? " " + g.t("cellErrorsText", "Cells with a problem are marked:") + " " + marks.length : "") +
                    (loose.length ? " " + loose.join(" / ") : "");
    g.refuse(summary);
    reopenIfSingle(batch, opts);
  }

  function conflict(batch, opts, data, body) {
    const dialog = document.getElementById("conflict-dialog");
    dialog.innerHTML = data.dialog;
    const form = dialog.querySelector("form");
    const index = parseInt(form.dataset.index, 10);
    const item = batch.update[index];
    dialog.showModal();
    const firstInput = dialog.querySelector(".mine-input");
    if (firstInput) firstInput.focus();
    dialog.addEventListener("close", function onClose() {
      dialog.removeEventListener("close", onClose);
      if (dialog.returnValue !== "save") {
        g.toast(g.t("notSavedText", "Not saved."));
        reopenIfSingle(batch, opts);
        return;
      }
      // Keep mine → send my (possibly edited) text at their revision; take theirs → drop it.
      form.querySelectorAll(".conflict-field").forEach(function (box) {
        const code = box.dataset.code;
        const pick = box.querySelector('input[type="radio"]:checked');
        if (pick && pick.value === "theirs") delete item.values[code];
        else item.values[code] = box.querySelector(".mine-input").value;
      });
      const revisions = {};
      body.update.forEach(function (u) { revisions[u.id] = u.revision; });
      revisions[item.id] = parseInt(form.dataset.revision, 10);
      batch.update = batch.update.filter(function (u) { return Object.keys(u.values).length; });
      if (!batch.update.length && !batch.create.length && !batch.trash.length && !batch.restore.length) {
        g.say(g.t("keptText", "Kept their values."));
        return;
      }
      g.queue = g.queue.then(function () { return send(batch, opts, revisions); });
    });
  }
}

// Problems are shown at the cells: each refused cell is marked (and says why to a screen reader
// and on hover), and the first one is scrolled into view with its message beside it.
function installCellErrors(g) {
  const bubble = document.createElement("div");
  bubble.className = "cell-error";
  bubble.id = "grid-cell-error";
  bubble.setAttribute("role", "alert");
  bubble.hidden = true;
  document.body.appendChild(bubble);

  g.showCellErrors = function (marks) {
    g.clearCellErrors();
    marks.forEach(function (m) {
      m.cell.classList.add("invalid");
      m.cell.setAttribute("aria-invalid", "true");
      m.cell.title = m.message;
      m.cell.dataset.error = m.message;
    });
    if (marks.length) {
      marks[0].cell.scrollIntoView({ block: "nearest", inline: "nearest" });
      g.showBubble(marks[0].cell);
    }
  };
  // The bubble is fixed beside its cell, inside the viewport (below, or above near the bottom),
  // and follows it when the page or the grid scrolls; the cell names it (aria-describedby).
  let stopFollowing = null;
  g.showBubble = function (cell) {
    if (stopFollowing) { stopFollowing(); stopFollowing = null; }
    g.table.querySelectorAll('td[aria-describedby="grid-cell-error"]').forEach(function (c) {
      c.removeAttribute("aria-describedby");
    });
    if (!cell || !cell.dataset.error) { bubble.hidden = true; return; }
    bubble.textContent = cell.dataset.error;
    bubble.hidden = false;
    cell.setAttribute("aria-describedby", "grid-cell-error");
    placeNear(bubble, cell);
    stopFollowing = follow(bubble, cell);
  };
  g.clearCellErrors = function () {
    g.showBubble(null);
    g.table.querySelectorAll("td.invalid").forEach(function (cell) {
      cell.classList.remove("invalid");
      cell.removeAttribute("aria-invalid");
      cell.removeAttribute("title");
      delete cell.dataset.error;
    });
  };
  g.on("focus", function (cell) { g.showBubble(cell); });
}
