/* Placing a popup next to what it is about, always inside the viewport: below the anchor when
   it fits there, else above it, else beside it, else wherever it overlaps the least; never off
   an edge. The popup
   is position: fixed, so a scrolled page or a scrolled grid never carries it away. */

export function placeNear(popup, anchor, opts) {
  const box = anchor.getBoundingClientRect();
  const vw = document.documentElement.clientWidth;
  const vh = document.documentElement.clientHeight;
  const w = popup.offsetWidth;
  const h = popup.offsetHeight;
  const gap = 2;
  let top = box.bottom + gap;
  const side = opts && opts.side;
  if ((side === "first" || (side && top + h > vh - 4)) && box.right + 8 + w <= vw - 4) {
    // Beside the anchor (a form's input has room on its right), so its label stays in view;
    // "first": always there when it fits (a dialog's buttons below the input stay free).
    popup.style.top = Math.round(Math.max(4, Math.min(box.top, vh - 4 - h))) + "px";
    popup.style.left = Math.round(box.right + 8) + "px";
    return;
  }
  if (top + h > vh - 4) {
    const above = box.top - gap - h;
    if (above >= 4) {
      top = above;
    } else {
      // Room neither below nor above (a tall calendar by a cell mid-screen): beside the
      // anchor, right or else left, so what is being edited stays in view.
      const besideTop = Math.round(Math.max(4, Math.min(box.top, vh - 4 - h))) + "px";
      if (box.right + 8 + w <= vw - 4) {
        popup.style.top = besideTop;
        popup.style.left = Math.round(box.right + 8) + "px";
        return;
      }
      if (box.left - 8 - w >= 4) {
        popup.style.top = besideTop;
        popup.style.left = Math.round(box.left - 8 - w) + "px";
        return;
      }
      top = Math.max(4, vh - 4 - h);
    }
  }
  const left = Math.max(4, Math.min(box.left, vw - 4 - w));
  popup.style.top = Math.round(top) + "px";
  popup.style.left = Math.round(left) + "px";
}

/* Keep a popup by its anchor while it is shown: scrolling anything (capture) and resizing move
   it along; returns the function that stops following. */
export function follow(popup, anchor, opts) {
  function again() { if (!popup.hidden && anchor.isConnected) placeNear(popup, anchor, opts); }
  window.addEventListener("scroll", again, true);
  window.addEventListener("resize", again);
  return function () {
    window.removeEventListener("scroll", again, true);
    window.removeEventListener("resize", again);
  };
}
