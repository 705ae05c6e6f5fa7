/* Undo and redo over the session's edits (Ctrl+Z, Ctrl+Y or Ctrl+Shift+Z), kept in the tab's
   sessionStorage so that they survive a reload. A step is what one save changed: cells with
   their old and new text, records it created, records it moved to the trash.

   Each step goes back through the revision protocol: it sends the revision that this session's
   own last save of the record produced, so a field someone else changed after that is a
   conflict — the undo says so and changes nothing; it never overwrites a later change. */

const LIMIT = 100;

export function installUndo(g) {
  const key = "daicho.grid.undo." + g.ledger;
  const undoButton = document.getElementById("undo");
  const redoButton = document.getElementById("redo");
  let state = { undo: [], redo: [], revs: {} };
  try {
    state = Object.assign(state, JSON.parse(window.sessionStorage.getItem(key) || "{}"));
  } catch (e) { /* a broken entry starts afresh */ }

  function store() {
    try { window.sessionStorage.setItem(key, JSON.stringify(state)); } catch (e) { /* full: keep in memory */ }
    if (undoButton) undoButton.disabled = !state.undo.length;
    if (redoButton) redoButton.disabled = !state.redo.length;
  }
  store();

  g.on("saved", function (data, batch, opts) {
    ["updated", "created", "restored", "trashed"].forEach(function (k) {
      (data[k] || []).forEach(function (r) { state.revs[r.id] = r.revision; });
    });
    if (opts.undo || opts.undoCreated) {
      const step = Object.assign({ updates: [], created: [], trashed: [] }, opts.undo || {});
      step.created = (data.created || []).map(function (r) { return String(r.id); });
      if (step.updates.length || step.created.length || step.trashed.length) {
        state.undo.push(step);
        if (state.undo.length > LIMIT) state.undo.shift();
        state.redo = [];
      }
    }
    store();
  });

  function rev(id) { return state.revs[id] !== undefined ? state.revs[id] : g.revisionOf(id); }

  // The batch that takes a step back (or, with forward, does it again).
  function batchFor(step, forward) {
    const byRow = {};
    step.updates.forEach(function (u) {
      if (!forward && step.created.indexOf(String(u.id)) >= 0) return;
      (byRow[u.id] = byRow[u.id] || {})[u.code] = forward ? u.new : u.old;
    });
    const batch = {
      update: Object.keys(byRow).map(function (id) { return { id: id, values: byRow[id], revision: rev(id) }; }),
      trash: (forward ? step.trashed : step.created).map(function (id) { return { id: id, revision: rev(id) }; }),
      restore: forward ? step.created : step.trashed,
    };
    return batch;
  }

  function run(from, to, forward) {
    if (!state[from].length) {
      g.say(g.t(forward ? "nothingToRedoText" : "nothingToUndoText", "Nothing to undo."));
      return;
    }
    const step = state[from].pop();
    store();
    g.save(function () { return batchFor(step, forward); }, {
      kind: forward ? "redo" : "undo", quiet: true,
      then: function () {
        state[to].push(step);
        store();
        g.say(g.t(forward ? "redoneText" : "undoneText", forward ? "Redone." : "Undone."));
      },
      failed: function (res) {
        const error = (res.data && res.data.error) || {};
        if (res.status === 409 || res.status === 404) {
          // Someone changed or removed the record after this edit: the step cannot be taken.
          g.refuse(g.t(forward ? "redoConflictText" : "undoConflictText",
                       "Could not undo: someone else changed it after your edit. Nothing was changed."));
        } else {
          state[from].push(step); // not refused, only not done: it can be tried again
          store();
          g.refuse(error.message || g.t("networkText", "The server could not be reached: nothing was saved."));
        }
      }
    });
  }
  g.undo = function () { run("undo", "redo", false); };
  g.redo = function () { run("redo", "undo", true); };
  if (undoButton) undoButton.addEventListener("click", g.undo);
  if (redoButton) redoButton.addEventListener("click", g.redo);
}
