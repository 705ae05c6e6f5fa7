/* daicho: the permissions screen. Within each [data-switch] block, show only the inputs that
   belong to the chosen option ([data-when] equal to the select's value). Without script every
   input stays visible and the server ignores the ones that do not apply. */
(function () {
  "use strict";

  function apply(select) {
    var block = select.closest("[data-switch]");
    if (!block) return;
    block.querySelectorAll("[data-when]").forEach(function (el) {
      el.hidden = el.dataset.when !== select.value;
    });
  }

  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("select[data-switch-select]")) apply(el);
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-switch-select]").forEach(apply);
  });
})();
