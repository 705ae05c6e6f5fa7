/* The type-ahead list of user, department and link fields, in the record form and in the
   grid's cell editor: an ARIA combobox whose listbox shows the server's suggestions (names,
   titles) for what is typed. ↓/↑ move through the list, Enter picks, Esc closes the list (a
   second Esc is the editor's own), a click picks. Nothing is picked unless the person picks:
   Enter on typed text leaves the text to the server, which accepts an exact or unique name and
   refuses the rest at the field. The list lives in <body> with position: fixed, so a scrolling
   grid or a clipped cell never hides it.
   Inside a longer text (the comment box's @mentions, js/comments.js) `opts.query()` says what
   to ask for (null: nothing is being typed that wants a list) and `opts.apply(item)` puts the
   pick into the text; the arrows then open no list of their own. */

let counter = 0;

export function attachPicker(input, opts) {
  const url = opts.url;
  const list = document.createElement("ul");
  list.className = "picker-list";
  list.id = "picker-list-" + (++counter);
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", opts.listLabel || "Suggestions");
  list.hidden = true;
  document.body.appendChild(list);
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("autocomplete", "off");
  let items = [];
  let active = -1;
  let timer = null;
  let asked = 0;

  function place() {
    const r = input.getBoundingClientRect();
    list.style.left = Math.max(0, Math.min(r.left, window.innerWidth - 320)) + "px";
    list.style.minWidth = Math.max(r.width, 200) + "px";
    const below = window.innerHeight - r.bottom;
    if (below < 200 && r.top > below) {
      list.style.top = "";
      list.style.bottom = (window.innerHeight - r.top) + "px";
      list.style.maxHeight = Math.max(r.top - 8, 80) + "px";
    } else {
      list.style.bottom = "";
      list.style.top = r.bottom + "px";
      list.style.maxHeight = Math.max(below - 8, 80) + "px";
    }
  }

  function show() {
    list.innerHTML = "";
    items.forEach(function (item, i) {
      const li = document.createElement("li");
      li.id = list.id + "-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", i === active ? "true" : "false");
      li.dataset.value = item.value;
      const label = document.createElement("span");
      label.className = "picker-label";
      label.textContent = item.label;
      li.appendChild(label);
      if (item.detail && item.detail !== item.label) {
        const detail = document.createElement("span");
        detail.className = "picker-detail";
        detail.textContent = item.detail;
        li.appendChild(detail);
      }
      li.addEventListener("mousedown", function (event) {
        event.preventDefault(); // the input keeps the focus (the grid's editor stays open)
        pick(item, "click");
      });
      list.appendChild(li);
    });
    if (!items.length) {
      const li = document.createElement("li");
      li.className = "picker-none";
      li.textContent = opts.noneText || "—";
      list.appendChild(li);
    }
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    place();
    mark();
  }

  function mark() {
    Array.prototype.forEach.call(list.querySelectorAll("[role=option]"), function (li, i) {
      li.setAttribute("aria-selected", i === active ? "true" : "false");
      if (i === active) li.scrollIntoView({ block: "nearest" });
    });
    if (active >= 0) input.setAttribute("aria-activedescendant", list.id + "-" + active);
    else input.removeAttribute("aria-activedescendant");
  }

  function close() {
    list.hidden = true;
    active = -1;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function ask() {
    const mine = ++asked;
    const text = opts.query ? opts.query() : input.value;
    if (text === null) { close(); return; }
    const sep = url.indexOf("?") < 0 ? "?" : "&";
    fetch(url + sep + "q=" + encodeURIComponent(text), {
      credentials: "same-origin", headers: { "Accept": "application/json" }
    }).then(function (resp) { return resp.ok ? resp.json() : { items: [] }; })
      .then(function (data) {
        if (mine !== asked || !input.isConnected || document.activeElement !== input) return;
        items = data.items || [];
        active = -1;
        show();
        input.dispatchEvent(new CustomEvent("picker:shown", { bubbles: true }));
      }).catch(function () { /* no suggestions; typing still works */ });
  }

  function pick(item, how) {
    if (opts.apply) {
      opts.apply(item);
    } else {
      input.value = item.label;
      input.dataset.picked = item.value;
      input.dataset.pickedLabel = item.label;
    }
    close();
    if (opts.onPick) opts.onPick(item, how);
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(ask, 150);
  });
  // Capture: runs before the grid editor's own keydown on the same input.
  input.addEventListener("keydown", function (event) {
    if (event.isComposing || event.keyCode === 229) return; // the IME is converting
    const open = !list.hidden;
    if ((event.key === "ArrowDown" || event.key === "ArrowUp") && (open || !opts.query)) {
      event.preventDefault();
      event.stopImmediatePropagation();
      if (!open) { ask(); return; }
      if (!items.length) return;
      const step = event.key === "ArrowDown" ? 1 : -1;
      active = active < 0 ? (step > 0 ? 0 : items.length - 1) : (active + step + items.length) % items.length;
      mark();
    } else if (event.key === "Enter" && open && active >= 0) {
      pick(items[active], "enter");
      if (!opts.enterPassesOn) { event.preventDefault(); event.stopImmediatePropagation(); }
    } else if (event.key === "Escape" && open) {
      event.preventDefault();
      event.stopImmediatePropagation();
      close();
    } else if (event.key === "Tab" && open && active >= 0) {
      pick(items[active], "tab");
    }
  }, true);
  input.addEventListener("blur", function () {
    window.setTimeout(function () {
      if (document.activeElement === input) return;
      close();
      if (!input.isConnected) list.remove();
    }, 0);
  });
  return { ask: ask, close: close, list: list };
}

// The record form: inputs marked data-picker carry the picked value in a hidden input beside
// them (NAME__picked) with the name it was picked for (NAME__label).
function formPickers() {
  document.querySelectorAll("input[data-picker]").forEach(function (input) {
    const picked = document.getElementById(input.dataset.pickedInput);
    const label = document.getElementById(input.dataset.labelInput);
    attachPicker(input, {
      url: input.dataset.picker, noneText: input.dataset.noneText, listLabel: input.dataset.listLabel,
      onPick: function (item) {
        if (picked) picked.value = item.value;
        if (label) label.value = item.label;
      }
    });
    input.addEventListener("focus", function () { if (!input.value) input.dispatchEvent(new Event("input")); });
  });
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", formPickers);
else formPickers();
