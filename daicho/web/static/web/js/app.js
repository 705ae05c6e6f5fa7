/* daicho: small behaviours shared by every page. No inline script anywhere (CSP script-src 'self');
   everything a script needs comes from data- attributes. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Selects that apply at once (the view picker, rows per page).
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("[data-autosubmit]") && el.form) {
      el.form.requestSubmit();
    }
  });

  // Destructive forms ask first.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  }, true);

  document.addEventListener("click", function (event) {
    var el = event.target.closest ? event.target.closest("[data-print],[data-copy],[data-move]") : null;
    if (!el) return;
    if (el.hasAttribute("data-print")) {
      window.print();
    } else if (el.hasAttribute("data-copy")) {
      var source = document.getElementById(el.dataset.copy);
      if (source && navigator.clipboard) {
        navigator.clipboard.writeText(source.textContent.trim()).then(function () {
          el.textContent = el.dataset.copied || "✓";
        });
      }
    } else if (el.hasAttribute("data-move")) {
      var item = el.closest("li");
      var list = item && item.parentElement;
      if (!list) return;
      if (el.dataset.move === "up" && item.previousElementSibling) {
        list.insertBefore(item, item.previousElementSibling);
      } else if (el.dataset.move === "down" && item.nextElementSibling) {
        list.insertBefore(item.nextElementSibling, item);
      }
      el.focus();
    }
  });

  // Menus made of <details>: one open at a time; Escape or a click elsewhere closes them.
  function closeMenus(except) {
    document.querySelectorAll("details.menu[open]").forEach(function (d) {
      if (d !== except && !d.contains(except)) d.removeAttribute("open");
    });
  }
  document.addEventListener("toggle", function (event) {
    var d = event.target;
    if (d.open && d.matches && d.matches("details.menu")) closeMenus(d);
  }, true);
  document.addEventListener("click", function (event) {
    if (!event.target.closest("details.menu")) closeMenus(null);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var open = event.target.closest && event.target.closest("details[open]");
    if (open && open.matches("details.menu")) {
      open.removeAttribute("open");
      open.querySelector("summary").focus();
    }
  });

  // 和暦 next to date inputs whose field shows it (options.wareki).
  var ERAS = [["令和", 2019, 5, 1], ["平成", 1989, 1, 8], ["昭和", 1926, 12, 25], ["大正", 1912, 7, 30],
    ["明治", 1868, 1, 25]];
  function wareki(text, precision) {
    var m = /^(\d{4})-(\d{2})(?:-(\d{2}))?$/.exec(text || "");
    if (!m) return "";
    var y = +m[1], mo = +m[2], d = precision === "month" || !m[3] ? 1 : +m[3];
    for (var i = 0; i < ERAS.length; i++) {
      var e = ERAS[i];
      if (y > e[1] || (y === e[1] && (mo > e[2] || (mo === e[2] && d >= e[3])))) {
        var n = y - e[1] + 1;
        var out = e[0] + (n === 1 ? "元" : n) + "年" + mo + "月";
        return precision === "month" ? out : out + d + "日";
      }
    }
    return "";
  }
  document.addEventListener("input", function (event) {
    var el = event.target;
    if (el.dataset && el.dataset.wareki) {
      var out = document.getElementById(el.dataset.wareki);
      if (out) out.textContent = wareki(el.value, out.dataset.precision);
    }
  });

  // The field designer: show the options of the chosen type.
  function showOptions(select) {
    var form = select.form;
    if (!form) return;
    form.querySelectorAll("[data-for-type]").forEach(function (box) {
      box.hidden = box.dataset.forType !== select.value;
    });
    var slot = form.querySelector("[data-options-slot]");
    if (slot) {
      var tpl = document.querySelector('template[data-options-for="' + select.value + '"]');
      slot.innerHTML = "";
      if (tpl) {
        var html = tpl.innerHTML.split("__FID__").join(slot.dataset.fid || "opt");
        var holder = document.createElement("div");
        holder.innerHTML = html;
        while (holder.firstChild) slot.appendChild(holder.firstChild);
      }
    }
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("select[data-type-switch]")) showOptions(event.target);
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form select[data-type-switch]").forEach(function (select) {
      if (select.form && select.form.querySelector("[data-for-type]")) showOptions(select);
    });
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
    var banner = document.getElementById("conflict-banner");
    if (banner) banner.scrollIntoView();
  });
})();
