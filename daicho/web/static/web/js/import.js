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
