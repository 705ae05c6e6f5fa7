/* The roadmap's cells, edited in place with htmx (no inline script: CSP script-src 'self').
   A refused save (400 invalid, 409 someone else changed the cell) comes back as the cell's form
   with the reason, so it is swapped in like a success; focus follows the cell being edited. */
(function () {
  "use strict";

  function inRoadmap(el) {
    return !!(el && el.closest && el.closest("#roadmap"));
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if ((status === 400 || status === 409) && inRoadmap(event.detail.target)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var cell = event.detail.target;
    if (!inRoadmap(cell)) return;
    var focus = cell.querySelector("select, .cell-button, .progress-button");
    if (focus) focus.focus();
  });

  document.addEventListener("htmx:responseError", function (event) {
    if (!inRoadmap(event.detail.elt)) return;
    var status = document.getElementById("roadmap-status");
    var table = document.getElementById("roadmap");
    if (status && table) status.textContent = table.dataset.failed || "";
  });

  // Escape leaves the cell's form without saving.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !event.target.closest) return;
    var form = event.target.closest(".cell-form");
    var cancel = form && form.querySelector("[data-cancel]");
    if (cancel) {
      event.preventDefault();
      cancel.click();
    }
  });
})();
