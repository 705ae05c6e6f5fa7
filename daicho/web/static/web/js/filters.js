/* The grid's column filters (Excel's autofilter): a button in each header opens a popup above
   the grid, outside the table and its scroll container, so nothing clips it. The popup is
   rendered by the server (daicho/web/views/filters.py) with the column's values and counts,
   read through the permission gate; applying it is a GET of the ledger page, which redirects to
   the address holding the filters in the API's syntax (bookmarkable, kept by saved views).

   Keyboard: the header buttons are one tab stop (roving tabindex: ← → Home End move between
   them, ↓ goes to the column's first cell); Enter, Space or Alt+↓ opens a popup, Alt+↓ also from
   any cell of the column; in the popup Enter applies and Escape closes it and returns to the
   header button. */
(function () {
  "use strict";
  var table = document.getElementById("grid");
  if (!table || !table.tHead) return;
  var buttons = Array.prototype.slice.call(table.tHead.querySelectorAll(".filter-button"));
  if (!buttons.length) return;

  var popup = document.createElement("div");
  popup.id = "filter-popup";
  popup.className = "filter-popup";
  popup.setAttribute("role", "dialog");
  popup.setAttribute("aria-modal", "false");
  popup.setAttribute("aria-labelledby", "filter-title");
  popup.hidden = true;
  document.body.appendChild(popup);
  var owner = null; // the header button whose popup is open
  var loading = 0;
  var MAX_URL = 3800; // below the server's request-line limit (gunicorn: 4094 bytes)
  var MAX_IN = 200;

  // -- the header row: one tab stop ---------------------------------------------------------------
  function rove(button, focus) {
    buttons.forEach(function (b) { b.tabIndex = b === button ? 0 : -1; });
    if (focus) button.focus();
  }
  table.tHead.addEventListener("keydown", function (event) {
    var button = event.target.closest && event.target.closest(".filter-button");
    if (!button) return;
    var i = buttons.indexOf(button);
    var next = null;
    if (event.key === "ArrowRight") next = buttons[Math.min(buttons.length - 1, i + 1)];
    else if (event.key === "ArrowLeft") next = buttons[Math.max(0, i - 1)];
    else if (event.key === "Home") next = buttons[0];
    else if (event.key === "End") next = buttons[buttons.length - 1];
    else if (event.key === "ArrowDown" && event.altKey) { open(button); }
    else if (event.key === "ArrowDown") {
      var th = button.closest("th");
      var row = table.tBodies[0] && table.tBodies[0].querySelector("tr[data-id]");
      var cell = row && row.cells[th.cellIndex];
      if (cell) cell.click(); // the grid's own click handler selects and focuses it
    } else return;
    event.preventDefault();
    if (next) rove(next, true);
  });
  buttons.forEach(function (button) {
    button.addEventListener("click", function (event) {
      event.preventDefault();
      event.stopPropagation();
      if (owner === button) close(true); else open(button);
    });
  });
  // Alt+↓ on a cell opens its column's filter, as on a header in Excel.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "ArrowDown" || !event.altKey || !table.tBodies[0]) return;
    var cell = event.target.closest && event.target.closest("#grid tbody td");
    if (!cell) return;
    var th = table.tHead.rows[0].cells[cell.cellIndex];
    var button = th && th.querySelector(".filter-button");
    if (!button) return;
    event.preventDefault();
    event.stopPropagation();
    rove(button, false);
    open(button);
  }, true);

  // -- opening, placing, closing ------------------------------------------------------------------
  function open(button) {
    var ticket = ++loading;
    if (owner && owner !== button) close(false);
    owner = button;
    buttons.forEach(function (b) { b.setAttribute("aria-expanded", b === button ? "true" : "false"); });
    fetch(button.dataset.filterUrl, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (res) {
        if (!res.ok) throw new Error(String(res.status));
        return res.text();
      })
      .then(function (html) {
        if (ticket !== loading || owner !== button) return;
        popup.innerHTML = html;
        popup.hidden = false;
        place();
        wire();
        var first = popup.querySelector("#filter-search") || popup.querySelector(".filter-values input") ||
          popup.querySelector("#filter-form input:not([type=hidden])");
        if (first) first.focus();
      })
      .catch(function () {
        if (ticket !== loading) return;
        popup.textContent = table.dataset.networkText || "";
        popup.hidden = false;
        place();
      });
  }
  function close(refocus) {
    loading++;
    popup.hidden = true;
    popup.innerHTML = "";
    var button = owner;
    owner = null;
    buttons.forEach(function (b) { b.setAttribute("aria-expanded", "false"); });
    if (refocus && button) rove(button, true);
  }
  function place() {
    if (!owner || popup.hidden) return;
    var r = owner.getBoundingClientRect();
    var vw = document.documentElement.clientWidth, vh = document.documentElement.clientHeight;
    popup.style.maxHeight = "";
    var w = popup.offsetWidth, h = popup.offsetHeight;
    var left = Math.max(8, Math.min(r.right - w, vw - w - 8));
    if (r.left + w <= vw - 8) left = Math.max(8, r.left);
    var below = vh - r.bottom - 8, above = r.top - 8;
    var top;
    if (h <= below || below >= above) {
      top = r.bottom + 4;
      popup.style.maxHeight = Math.max(160, below - 4) + "px";
    } else {
      top = Math.max(8, r.top - 4 - Math.min(h, above));
      popup.style.maxHeight = Math.max(160, above - 4) + "px";
    }
    popup.style.left = left + "px";
    popup.style.top = Math.max(8, top) + "px";
  }
  window.addEventListener("resize", place);
  document.addEventListener("scroll", function (event) {
    if (popup.contains(event.target)) return;
    place();
  }, true);
  document.addEventListener("mousedown", function (event) {
    if (!owner || popup.contains(event.target) || buttons.indexOf(event.target.closest && event.target.closest(".filter-button")) >= 0) return;
    close(false);
  });
  popup.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      close(true);
    } else if (event.key === "Enter" && !event.isComposing) {
      var t = event.target;
      if (t.tagName === "BUTTON" || t.tagName === "A" || t.tagName === "TEXTAREA") return;
      event.preventDefault();
      var form = popup.querySelector("#filter-form");
      if (form) form.requestSubmit();
    }
  });

  // -- inside the popup ---------------------------------------------------------------------------
  function form() { return popup.querySelector("#filter-form"); }
  function boxes() {
    return Array.prototype.slice.call(popup.querySelectorAll(".filter-values input[data-filter-value]"))
      .filter(function (b) { return b.id !== "fv-blank"; });
  }
  function shown(box) { return !box.closest(".check").hidden; }
  function fold(text) { return (text || "").normalize("NFKC").toLowerCase(); }
  function capped() {
    var list = popup.querySelector(".filter-value-list");
    return !!(list && list.dataset.more);
  }
  function say(text) {
    var box = popup.querySelector("#filter-message");
    if (!box) return;
    box.textContent = text || "";
    box.hidden = !text;
  }

  var searchTimer = null;
  var searchedOnServer = false;
  function wire() {
    searchedOnServer = !!(popup.querySelector("#filter-search") || {}).value;
    var search = popup.querySelector("#filter-search");
    if (search) search.addEventListener("input", function () {
      window.clearTimeout(searchTimer);
      searchTimer = window.setTimeout(function () { narrow(search.value); }, 200);
    });
    popup.querySelectorAll("[data-filter-close]").forEach(function (b) {
      b.addEventListener("click", function () { close(true); });
    });
    var all = popup.querySelector("[data-filter-all]"), none = popup.querySelector("[data-filter-none]");
    function tickAll(on) {
      popup.querySelectorAll(".filter-values input[type=checkbox]").forEach(function (b) {
        if (shown(b)) b.checked = on;
      });
      say("");
    }
    if (all) all.addEventListener("click", function () { tickAll(true); });
    if (none) none.addEventListener("click", function () { tickAll(false); });
    popup.querySelectorAll("input[name=period-kind]").forEach(function (radio) {
      radio.addEventListener("change", function () {
        popup.querySelectorAll("[data-period-kind]").forEach(function (list) {
          list.hidden = list.dataset.periodKind !== radio.value;
        });
      });
    });
    popup.querySelectorAll("[data-period-kind] input[type=checkbox]").forEach(function (box) {
      box.addEventListener("change", periodsToRange);
    });
    var f = form();
    if (f) f.addEventListener("submit", submit);
  }

  function narrow(text) {
    var needle = fold(text.trim());
    if (capped() || searchedOnServer) {
      // The list is capped: ask the server for the values containing the text.
      var url = form().dataset.valuesUrl + "&part=values&text=" + encodeURIComponent(text.trim());
      var ticket = loading;
      fetch(url, { credentials: "same-origin" }).then(function (res) { return res.text(); }).then(function (html) {
        if (ticket !== loading || popup.hidden) return;
        popup.querySelector("#filter-values").innerHTML = html;
        searchedOnServer = !!needle;
        if (needle) boxes().forEach(function (b) { b.checked = true; });
      });
      return;
    }
    popup.querySelectorAll(".filter-values .check").forEach(function (row) {
      var label = row.querySelector("label");
      row.hidden = !!needle && fold(label ? label.textContent : "").indexOf(needle) < 0;
      var box = row.querySelector("input");
      if (needle && !row.hidden && box) box.checked = true; // Excel ticks every match
    });
  }

  function periodsToRange() {
    var list = this.closest("[data-period-kind]");
    var ticked = Array.prototype.filter.call(list.querySelectorAll("input[type=checkbox]"),
      function (b) { return b.checked; });
    var code = form().dataset.code;
    var ge = popup.querySelector('[name="fx:' + code + ':ge"]'), le = popup.querySelector('[name="fx:' + code + ':le"]');
    if (!ge || !le) return;
    if (!ticked.length) { ge.value = ""; le.value = ""; return; }
    ge.value = ticked.map(function (b) { return b.dataset.start; }).sort()[0];
    le.value = ticked.map(function (b) { return b.dataset.end; }).sort().pop();
  }

  function hidden(name, value) {
    var input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    input.dataset.added = "1";
    form().appendChild(input);
  }

  // The ticked values go as the shorter side: `in` the ticked ones, or `out` the unticked ones
  // (which keeps the blanks and any value past a capped list).
  function submit(event) {
    var f = form();
    f.querySelectorAll("input[data-added]").forEach(function (i) { i.remove(); });
    var code = f.dataset.code;
    var search = popup.querySelector("#filter-search");
    var searching = search && search.value.trim();
    var list = boxes();
    var blankBox = popup.querySelector("#fv-blank");
    var blank = !!(blankBox && blankBox.checked && (!searching || shown(blankBox)));
    if (list.length || blankBox) {
      var ticked = [], unticked = [];
      list.forEach(function (b) {
        if (b.checked && (!searching || shown(b))) ticked.push(b.dataset.filterValue);
        else unticked.push(b.dataset.filterValue);
      });
      var pick = "";
      var commas = ticked.some(function (v) { return v.indexOf(",") >= 0; });
      if (searching) pick = "in";
      else if (!unticked.length && (blank || !blankBox)) pick = "";
      else if (!ticked.length && !blank) { event.preventDefault(); say(f.dataset.nothing); return; }
      else if (blankBox && blank) pick = "out";
      else if (!unticked.length) pick = "out"; // every value but not the blanks: notempty
      else if ((ticked.length <= unticked.length || !capped()) && ticked.length <= MAX_IN && !commas) pick = "in";
      else pick = "out";
      if (searching && !ticked.length && !blank) { event.preventDefault(); say(f.dataset.nothing); return; }
      if (blankBox && searching && !shown(blankBox)) blankBox.checked = false;
      if (pick) hidden("fx:" + code + ":pick", pick);
      (pick === "in" ? ticked : pick === "out" ? unticked : []).forEach(function (v) {
        hidden("fx:" + code + (pick === "in" ? ":v" : ":u"), v);
      });
    }
    if (search) search.disabled = true; // the search narrows the list only
    var query = new URLSearchParams(new FormData(f)).toString();
    if (search) search.disabled = false;
    if (f.action.length + query.length + 1 > MAX_URL) {
      event.preventDefault();
      say(f.dataset.tooMany);
      return;
    }
    if (search) {
      event.preventDefault();
      window.location.assign(f.action + "?" + query);
    }
  }
})();
