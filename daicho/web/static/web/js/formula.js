/* The field designer's formula options: while the expression is typed, ask the server what it
   gives for the latest records (/ledgers/ID/fields/formula-preview), or show the error with the
   place it points at. The server answers as saving would, with the same checks. */
(function () {
  "use strict";
  var timers = new WeakMap();
  var serial = 0;

  function part(box, name) { return box.querySelector("[data-formula-" + name + "]"); }

  function numberOptions(box) {
    var isNumber = part(box, "result").value === "number";
    box.querySelectorAll("[data-formula-number]").forEach(function (el) { el.hidden = !isNumber; });
  }

  function showProblem(box, message, position) {
    var problem = part(box, "problem");
    var expression = part(box, "expression");
    part(box, "error").textContent = message;
    var pointer = part(box, "pointer");
    pointer.textContent = "";
    var text = expression.value;
    if (typeof position === "number" && position >= 0 && position <= text.length) {
      var at = Math.min(position, Math.max(text.length - 1, 0));
      var mark = document.createElement("mark");
      mark.textContent = text.slice(at, at + 1) || " ";
      var before = document.createElement("span");
      before.textContent = text.slice(0, at);
      var after = document.createElement("span");
      after.textContent = text.slice(at + 1);
      var label = document.createElement("span");
      label.className = "visually-hidden";
      label.textContent = (document.documentElement.lang === "ja" ? "誤りの位置: " : "Error at: ") + (position + 1) + " ";
      pointer.append(label, before, mark, after);
      pointer.hidden = false;
    } else {
      pointer.hidden = true;
    }
    expression.setAttribute("aria-invalid", "true");
    problem.hidden = false;
    part(box, "table").hidden = true;
    part(box, "status").textContent = "";
  }

  function showRows(box, items) {
    part(box, "problem").hidden = true;
    part(box, "expression").removeAttribute("aria-invalid");
    var rows = part(box, "rows");
    rows.textContent = "";
    items.forEach(function (item) {
      var tr = document.createElement("tr");
      var id = document.createElement("td");
      id.textContent = "#" + item.id;
      var value = document.createElement("td");
      value.className = "formula-value";
      if (item.value === null) {
        value.textContent = "—";
        value.classList.add("muted");
      } else if (item.value === true || item.value === false) {
        value.textContent = item.value ? "✓" : "✗";
      } else {
        value.textContent = String(item.value);
      }
      tr.append(id, value);
      rows.appendChild(tr);
    });
    part(box, "table").hidden = items.length === 0;
    part(box, "status").textContent = items.length ? "" :
      (document.documentElement.lang === "ja" ? "（レコードがまだありません）" : "(no records yet)");
  }

  function ask(box) {
    var expression = part(box, "expression").value;
    if (!expression.trim()) {
      part(box, "problem").hidden = true;
      part(box, "table").hidden = true;
      return;
    }
    var params = new URLSearchParams();
    params.set("expression", expression);
    params.set("result", part(box, "result").value);
    var decimals = box.querySelector('input[name$=":decimals"]');
    var rounding = box.querySelector('select[name$=":rounding"]');
    if (decimals) params.set("decimals", decimals.value);
    if (rounding) params.set("rounding", rounding.value);
    var item = box.closest(".field-item");
    if (item && item.dataset.code) params.set("code", item.dataset.code);
    var mine = ++serial;
    box.dataset.serial = String(mine);
    fetch(box.dataset.previewUrl + "?" + params.toString(), {credentials: "same-origin",
                                                             headers: {"Accept": "application/json"}})
      .then(function (resp) { return resp.json().then(function (body) { return [resp.ok, body]; }); })
      .then(function (answer) {
        if (box.dataset.serial !== String(mine)) return;  // a newer question is on its way
        if (answer[0]) {
          showRows(box, answer[1].items || []);
        } else {
          var error = (answer[1] && answer[1].error) || {};
          var details = error.details || {};
          showProblem(box, error.message || "", details.position);
        }
      })
      .catch(function () { /* offline for a moment: the next keystroke asks again */ });
  }

  function later(box) {
    clearTimeout(timers.get(box));
    timers.set(box, setTimeout(function () { ask(box); }, 300));
  }

  document.addEventListener("input", function (event) {
    var box = event.target.closest && event.target.closest("[data-formula]");
    if (box) later(box);
  });
  document.addEventListener("change", function (event) {
    var box = event.target.closest && event.target.closest("[data-formula]");
    if (!box) return;
    numberOptions(box);
    later(box);
  });
  function start(root) {
    root.querySelectorAll("[data-formula]").forEach(function (box) {
      numberOptions(box);
      if (box.offsetParent !== null || box.closest("details[open]")) ask(box);
    });
  }
  start(document);
  document.addEventListener("toggle", function (event) {
    if (event.target.matches && event.target.matches("details[open]")) start(event.target);
  }, true);
})();
