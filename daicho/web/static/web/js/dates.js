/* The date editor of the grid's cells and the record form (instead of <input type=date>, which
   cannot take 和暦 and made 0441-02-02 of a typed 2024/4/1). A text input that takes what the
   importer takes (R6.4.1, 令和6年4月1日, 2024/4/1, 2024-04-01, 20240401), shows the server's
   reading of it before anything is saved (「令和6年4月1日（2024-04-01）」, or why it cannot be read:
   the server parses it with the code every write uses), and a calendar.

   Keyboard: ↓ (or Alt+↓) enters the calendar; there ← → move a day, ↑ ↓ a week, PageUp/PageDown
   a month (with Shift a year), Home/End the week's first/last day, Enter picks the day and
   returns to typing, Esc leaves the calendar. Focus stays in the input throughout (the calendar
   day is its aria-activedescendant), so the grid's Enter/Tab/Esc and its save-on-blur keep
   working; a click in the popup never takes focus either. */

import { follow, placeNear } from "./popover.js";

let serial = 0;

function t(key, fallback) {
  const el = document.getElementById("date-texts");
  return (el && el.dataset[key]) || fallback;
}

function pad(n) { return (n < 10 ? "0" : "") + n; }
function isoOf(d) { return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()); }
function fromIso(text) {
  const m = /^(\d{4})-(\d{2})(?:-(\d{2}))?/.exec(text || "");
  return m ? new Date(+m[1], +m[2] - 1, m[3] ? +m[3] : 1) : null;
}
function addDays(d, n) { return new Date(d.getFullYear(), d.getMonth(), d.getDate() + n); }
function addMonths(d, n) {
  const last = new Date(d.getFullYear(), d.getMonth() + n + 1, 0).getDate();
  return new Date(d.getFullYear(), d.getMonth() + n, Math.min(d.getDate(), last));
}
function lang() { return document.documentElement.lang || "ja"; }
function format(d, options, calendar) {
  try {
    return new Intl.DateTimeFormat(lang() + (calendar ? "-u-ca-" + calendar : ""), options).format(d);
  } catch (e) { return isoOf(d); }
}

export function attachDateEditor(input, kind, opts) {
  if (input.dateEditor) return input.dateEditor;
  kind = kind || "date";
  opts = opts || {};
  const id = "date-pop-" + (++serial);
  const pop = document.createElement("div");
  pop.className = "date-pop";
  pop.id = id;
  pop.hidden = true;
  const reading = document.createElement("p");
  reading.className = "date-reading";
  reading.id = id + "-reading";
  reading.setAttribute("aria-live", "polite");
  const head = document.createElement("div");
  head.className = "date-cal-head";
  const prev = document.createElement("button");
  const next = document.createElement("button");
  const title = document.createElement("span");
  title.className = "date-title";
  title.id = id + "-title";
  [[prev, "‹", t("prevMonth", "Previous month")], [next, "›", t("nextMonth", "Next month")]].forEach(function (b) {
    b[0].type = "button";
    b[0].tabIndex = -1;
    b[0].textContent = b[1];
    b[0].setAttribute("aria-label", b[2]);
    b[0].title = b[2];
  });
  prev.className = "date-prev";
  next.className = "date-next";
  head.append(prev, title, next);
  const grid = document.createElement("table");
  grid.className = "date-cal";
  grid.setAttribute("role", "grid");
  grid.setAttribute("aria-labelledby", title.id);
  const hint = document.createElement("p");
  hint.className = "date-hint";
  hint.textContent = t("hint", "↓ calendar · Enter save · Esc cancel");
  pop.append(reading, head, grid, hint);
  (opts.container || document.body).appendChild(pop);

  const state = { view: null, active: null, picked: null, value: null, seq: 0, timer: 0, stop: null };
  const editor = { input: input, popup: pop, kind: kind, pending: Promise.resolve() };
  input.dateEditor = editor;
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-haspopup", "grid");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", id);
  input.setAttribute("autocomplete", "off");
  input.spellcheck = false;
  const describedBy = input.getAttribute("aria-describedby");
  input.setAttribute("aria-describedby", (describedBy ? describedBy + " " : "") + reading.id);

  function render() {
    const today = isoOf(new Date());
    const view = state.view || new Date(new Date().getFullYear(), new Date().getMonth(), 1);
    title.textContent = format(view, { year: "numeric", month: "long" }) + "（" +
      format(view, { era: "long", year: "numeric" }, "japanese") + "）";
    grid.textContent = "";
    const thead = grid.createTHead().insertRow();
    for (let i = 0; i < 7; i++) {
      const th = document.createElement("th");
      th.setAttribute("role", "columnheader");
      th.abbr = format(new Date(2024, 2, 3 + i), { weekday: "long" });
      th.textContent = format(new Date(2024, 2, 3 + i), { weekday: "narrow" });
      th.className = i === 0 ? "sun" : i === 6 ? "sat" : "";
      thead.appendChild(th);
    }
    const body = grid.createTBody();
    let day = addDays(view, -view.getDay());
    for (let r = 0; r < 6; r++) {
      const row = body.insertRow();
      for (let c = 0; c < 7; c++) {
        const cell = row.insertCell();
        const iso = isoOf(day);
        cell.setAttribute("role", "gridcell");
        cell.id = id + "-" + iso;
        cell.dataset.date = iso;
        cell.textContent = day.getDate();
        cell.setAttribute("aria-label", format(day, { dateStyle: "full" }));
        const picked = state.picked && isoOf(state.picked) === iso;
        cell.setAttribute("aria-selected", picked ? "true" : "false");
        cell.classList.toggle("other", day.getMonth() !== view.getMonth());
        cell.classList.toggle("today", iso === today);
        cell.classList.toggle("sun", c === 0);
        cell.classList.toggle("sat", c === 6);
        cell.classList.toggle("active", !!state.active && isoOf(state.active) === iso);
        day = addDays(day, 1);
      }
    }
    if (state.active) input.setAttribute("aria-activedescendant", id + "-" + isoOf(state.active));
    else input.removeAttribute("aria-activedescendant");
    place();
  }

  function place() { if (!pop.hidden) placeNear(pop, opts.anchor || input, opts); }

  function show(text, kindOfText) {
    reading.textContent = text;
    reading.className = "date-reading" + (kindOfText ? " " + kindOfText : "");
    place();
  }

  function read() {
    const text = input.value.trim();
    const seq = ++state.seq;
    if (!text) {
      state.value = null;
      show(t("examples", "e.g. R6.4.1, 令和6年4月1日, 2024/4/1"), "");
      return Promise.resolve();
    }
    const url = (document.body.dataset.datesUrl || "/dates/reading") + "?kind=" + encodeURIComponent(kind) +
      "&text=" + encodeURIComponent(text);
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (resp) { return resp.json(); })
      .then(function (data) {
        if (seq !== state.seq) return;
        state.value = data.value || null;
        if (data.value) {
          state.picked = fromIso(data.value);
          if (!state.active) state.view = new Date(state.picked.getFullYear(), state.picked.getMonth(), 1);
          show(data.reading, "ok");
          render();
          if (opts.onRead) opts.onRead(data);
        } else {
          show(data.message || "", "error");
          if (opts.onRead) opts.onRead(data);
        }
      }, function () { /* offline: the save will say so */ });
  }

  function schedule() {
    window.clearTimeout(state.timer);
    state.seq++; // a reading of the text before this one is stale when it comes
    // Until the server's reading comes, the calendar opens on a plain ISO date typed, or today.
    state.picked = /^\d{4}-\d{2}-\d{2}$/.test(input.value.trim()) ? fromIso(input.value.trim()) : null;
    editor.pending = new Promise(function (resolve) {
      state.timer = window.setTimeout(function () { read().then(resolve, resolve); }, 120);
    });
  }

  function open() {
    if (!pop.hidden) return;
    pop.hidden = false;
    input.setAttribute("aria-expanded", "true");
    state.stop = follow(pop, opts.anchor || input, opts);
    render();
    editor.pending = read();
  }

  function close() {
    state.active = null;
    pop.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    if (state.stop) { state.stop(); state.stop = null; }
  }

  function moveTo(date) {
    state.active = date;
    state.view = new Date(date.getFullYear(), date.getMonth(), 1);
    render();
  }

  function pick(date) {
    const iso = isoOf(date);
    let text = kind === "month" ? iso.slice(0, 7) : iso;
    if (kind === "datetime") {
      const time = /\d{1,2}:\d{2}$/.exec(state.value || input.value.trim());
      text += " " + (time ? time[0] : "00:00");
    }
    input.value = text;
    state.active = null;
    state.picked = date;
    render();
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  input.addEventListener("keydown", function (event) {
    if (event.isComposing || event.keyCode === 229) return;
    const key = event.key;
    let handled = true;
    if (!state.active) {
      if (key === "ArrowDown" && !event.ctrlKey && !event.shiftKey) {
        open();
        moveTo(state.picked || new Date());
      } else if (key === "Escape" && opts.escapeCloses && !pop.hidden) {
        close();
      } else {
        handled = false;
      }
    } else {
      const a = state.active;
      switch (key) {
        case "ArrowLeft": moveTo(addDays(a, -1)); break;
        case "ArrowRight": moveTo(addDays(a, 1)); break;
        case "ArrowUp": moveTo(addDays(a, -7)); break;
        case "ArrowDown": moveTo(addDays(a, 7)); break;
        case "PageUp": moveTo(addMonths(a, event.shiftKey ? -12 : -1)); break;
        case "PageDown": moveTo(addMonths(a, event.shiftKey ? 12 : 1)); break;
        case "Home": moveTo(addDays(a, -a.getDay())); break;
        case "End": moveTo(addDays(a, 6 - a.getDay())); break;
        case "Enter": case " ": pick(a); break;
        case "Escape": state.active = null; render(); break;
        default:
          state.active = null;
          render();
          handled = false;
      }
    }
    if (handled) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  });
  input.addEventListener("input", schedule);
  input.addEventListener("focus", open);
  input.addEventListener("blur", function () { window.setTimeout(function () {
    if (document.activeElement !== input) close();
  }, 0); });
  // The popup never takes focus: the input keeps it (and the grid's save-on-blur stays asleep).
  pop.addEventListener("mousedown", function (event) { event.preventDefault(); });
  pop.addEventListener("click", function (event) {
    const cell = event.target.closest("td[data-date]");
    if (cell) { pick(fromIso(cell.dataset.date)); return; }
    if (event.target.closest(".date-prev, .date-next")) {
      const step = event.target.closest(".date-prev") ? -1 : 1;
      const base = state.view || new Date();
      state.view = new Date(base.getFullYear(), base.getMonth() + step, 1);
      if (state.active) state.active = addMonths(state.active, step);
      render();
    }
  });

  editor.open = open;
  editor.close = close;
  editor.detach = function () { close(); pop.remove(); delete input.dateEditor; };
  editor.read = read;
  if (document.activeElement === input) open();
  return editor;
}

// The record form: every input marked data-date-editor gets the editor; a field shown in 和暦
// also keeps its era reading beside the input (data-era-output) when the popup is closed.
function attachAll(root) {
  root.querySelectorAll("input[data-date-editor]").forEach(function (input) {
    const out = input.dataset.eraOutput ? document.getElementById(input.dataset.eraOutput) : null;
    attachDateEditor(input, input.dataset.dateEditor, {
      escapeCloses: true,
      side: true,
      onRead: function (data) {
        if (out) out.textContent = data.reading ? data.reading.replace(/（.*$/, "") : "";
      }
    });
  });
}
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { attachAll(document); });
else attachAll(document);
