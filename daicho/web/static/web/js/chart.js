// The chart form shows what applies: the columns of a cross-tab only for a cross-tab, the
// "dates by" choice only beside a date field. Without script everything is shown (server side
// hides what does not apply to the drawn chart) and the server ignores what does not apply.
(function () {
  "use strict";
  const kind = document.getElementById("chart-kind");
  if (!kind) return;
  function periodFor(select) {
    const field = document.getElementById(select.dataset.period + "-field");
    const option = select.options[select.selectedIndex];
    const cross = select.id !== "chart-columns" || kind.value === "crosstab";
    if (field) field.hidden = !(cross && option && option.hasAttribute("data-date"));
  }
  function update() {
    document.querySelectorAll(".crosstab-only").forEach(function (el) {
      el.hidden = kind.value !== "crosstab";
    });
    document.querySelectorAll("select[data-period]").forEach(periodFor);
  }
  kind.addEventListener("change", update);
  document.querySelectorAll("select[data-period]").forEach(function (select) {
    select.addEventListener("change", update);
  });
})();
