/* The field designer: reorder fields by dragging their handle. The ↑ ↓ buttons do the same with
   the keyboard (plain forms); a drop sends the whole order through the same kind of form. */
(function () {
  "use strict";
  var list = document.getElementById("field-list");
  if (!list) return;
  var form = document.getElementById(list.dataset.orderForm);
  var dragged = null;

  var fromHandle = false;

  function items() { return Array.prototype.slice.call(list.querySelectorAll(".field-item")); }

  // Only the handle starts a drag, so text in the item's forms can still be selected.
  list.addEventListener("pointerdown", function (event) {
    fromHandle = !!event.target.closest(".drag-handle");
  });
  list.addEventListener("dragstart", function (event) {
    if (!fromHandle) {
      event.preventDefault();
      return;
    }
    dragged = event.target.closest(".field-item");
    if (!dragged) return;
    dragged.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged.dataset.code);
  });
  function clearMarks() {
    items().forEach(function (i) { i.classList.remove("drop-before", "drop-after"); });
  }
  list.addEventListener("dragover", function (event) {
    var target = event.target.closest(".field-item");
    if (!dragged || !target || target === dragged) return;
    event.preventDefault();
    clearMarks();
    var box = target.getBoundingClientRect();
    target.classList.add(event.clientY < box.top + box.height / 2 ? "drop-before" : "drop-after");
  });
  list.addEventListener("drop", function (event) {
    var target = event.target.closest(".field-item");
    if (!dragged || !target || target === dragged) return;
    event.preventDefault();
    var after = target.classList.contains("drop-after");
    clearMarks();
    list.insertBefore(dragged, after ? target.nextSibling : target);
    send();
  });
  list.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    clearMarks();
  });

  function send() {
    form.querySelectorAll('input[name="codes"]').forEach(function (i) { i.remove(); });
    items().forEach(function (item) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = "codes";
      input.value = item.dataset.code;
      form.appendChild(input);
    });
    form.submit();
  }
})();
