/* What a WAI-ARIA menu of the grid does with keys and clicks (the context menu, a header's
   column menu): ↑/↓, Home/End move, Enter or Space runs the item, Esc or Tab closes (and gives the
   focus back), a click runs, a click outside closes. Returns its items and focusItem(i). */

export function menuBehaviour(menu, run, close) {
  const items = Array.prototype.slice.call(menu.querySelectorAll("[role=menuitem]"));
  function focusItem(i) {
    const n = items.length;
    const item = items[((i % n) + n) % n];
    items.forEach(function (el) { el.tabIndex = -1; });
    item.tabIndex = 0;
    item.focus();
  }
  menu.addEventListener("keydown", function (event) {
    const i = items.indexOf(document.activeElement);
    let handled = true;
    switch (event.key) {
      case "ArrowDown": focusItem(i + 1); break;
      case "ArrowUp": focusItem(i - 1); break;
      case "Home": focusItem(0); break;
      case "End": focusItem(items.length - 1); break;
      case "Enter": case " ": run(items[i]); break;
      case "Escape": case "Tab": close(true); break;
      default: handled = false;
    }
    if (handled) event.preventDefault();
  });
  menu.addEventListener("click", function (event) { run(event.target.closest("[role=menuitem]")); });
  document.addEventListener("pointerdown", function (event) {
    if (!menu.hidden && !menu.contains(event.target)) close(false);
  });
  return { items: items, focusItem: focusItem };
}
