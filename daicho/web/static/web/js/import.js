/* daicho: the import wizard. The rows step: a run's header box ticks or unticks its rows, and a
   change not yet applied is pointed out. The progress bar: polls the background job
   (GET /api/v1/jobs/{id}) and opens the result page when the job has finished.
   No inline script (CSP). */
(function () {
  "use strict";

  function rowsStep() {
    var form = document.getElementById("rows-form");
    if (!form) return;
    var dirty = document.getElementById("rows-dirty");
    form.addEventListener("change", function () {
      if (dirty) dirty.hidden = false;
    });
    // A box in a run's header ticks or unticks every row of the run shown.
    Array.prototype.forEach.call(form.querySelectorAll("table.outline-rows"), function (table) {
      var boxes = table.querySelectorAll("tbody input[name='keep']");
      var th = table.querySelector("thead .keep-col");
      if (!boxes.length || !th) return;
      var all = document.createElement("input");
      all.type = "checkbox";
      all.className = "run-toggle";
      all.setAttribute("aria-label", table.dataset.toggleLabel || "");
      function sync() {
        var ticked = 0;
        Array.prototype.forEach.call(boxes, function (box) { if (box.checked) ticked += 1; });
        all.checked = ticked === boxes.length;
        all.indeterminate = ticked > 0 && ticked < boxes.length;
      }
      all.addEventListener("change", function () {
        Array.prototype.forEach.call(boxes, function (box) { box.checked = all.checked; });
      });
      table.addEventListener("change", function (event) {
        if (event.target !== all) sync();
      });
      th.appendChild(all);
      sync();
    });
  }

  function progress() {
    var box = document.getElementById("import-job");
    if (!box) return;
    var bar = document.getElementById("import-progress");
    var percent = document.getElementById("import-percent");
    var status = document.getElementById("import-status");

    function poll() {
      fetch(box.dataset.pollUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (resp) { return resp.json(); })
        .then(function (job) {
          var value = Math.max(0, Math.min(100, job.progress || 0));
          bar.value = value;
          bar.textContent = value + "%";
          percent.textContent = value + "%";
          if (job.status === "done" || job.status === "failed") {
            window.location.assign(box.dataset.doneUrl);
          } else {
            window.setTimeout(poll, 1000);
          }
        })
        .catch(function () {
          status.textContent = box.dataset.networkText;
          window.setTimeout(poll, 3000);
        });
    }
    window.setTimeout(poll, 500);
  }

  rowsStep();
  progress();
})();
