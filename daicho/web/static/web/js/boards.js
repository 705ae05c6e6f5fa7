// The calendar and kanban boards (daicho/web/boards.py): drag a card to another day or column,
// or use its "Move" menu (the keyboard's way), and the kanban's "Show more". A move is saved by
// the server through the normal writer with the card's revision (on a kanban by status: the
// process action leading there, after asking for its comment when it needs one); a refusal
// puts the card back where it was and says why.
(function () {
  "use strict";
  const text = document.getElementById("board-text");
  if (!text) return;
  const board = document.getElementById("calendar") || document.getElementById("kanban");
  const csrf = document.body.dataset.csrf;
  const status = document.getElementById("board-status");
  const toast = document.getElementById("board-toast");
  let dragged = null;

  // refused: the toast, as an error; shown: the toast too, as news (which action was taken).
  function say(message, refused, shown) {
    status.textContent = message;
    if (refused || shown) {
      toast.textContent = message;
      toast.classList.toggle("info", !refused);
      toast.hidden = false;
      clearTimeout(say.timer);
      say.timer = setTimeout(() => { toast.hidden = true; }, 8000);
    } else {
      toast.hidden = true;
    }
  }

  function placeFor(key) {
    // A day cell or a kanban column; CSS.escape keeps any choice text a plain attribute value.
    return board.querySelector(`[data-day="${CSS.escape(key)}"], .kanban-col[data-key="${CSS.escape(key)}"]`);
  }

  function placeOf(card) {
    return card.closest("[data-day], .kanban-col");
  }

  function keyOf(place) {
    return place.dataset.day !== undefined ? place.dataset.day : place.dataset.key;
  }

  function count(place, delta) {
    const day = place && place.querySelector(".day-count");
    if (day) {  // a day shows every card it has: count them
      const n = place.querySelectorAll(".board-card").length;
      const one = board.dataset.countOne || "", many = board.dataset.countMany || "";
      day.textContent = n ? (n === 1 ? one : many).replace(/\d+/, String(n)) : "";
      return;
    }
    const counter = place && place.querySelector(".col-count");
    if (!counter) return;
    const n = Math.max(0, parseInt(counter.textContent, 10) + delta);
    counter.textContent = String(n);
  }

  function markCurrent(card) {
    card.querySelectorAll("[data-move-to]").forEach((b) => {
      const here = b.dataset.moveTo === card.dataset.key;
      b.disabled = here;
      if (here) b.setAttribute("aria-current", "true"); else b.removeAttribute("aria-current");
    });
    const input = card.querySelector(".move-day-form input[name=to]");
    if (input) input.value = card.dataset.key;
  }

  // A process action that needs a comment asks for it before anything is sent: null when the
  // person cancels (the card stays where it is).
  const dialog = document.getElementById("board-comment-dialog");
  function askComment(to) {
    return new Promise((resolve) => {
      if (!dialog || !dialog.showModal) { resolve(null); return; }
      const area = dialog.querySelector("textarea");
      const opener = document.activeElement;
      document.getElementById("board-comment-label").textContent = text.dataset.commentText.replace("{status}", to);
      area.value = "";
      let answered = false;
      function done(value) {
        if (answered) return;
        answered = true;
        dialog.removeEventListener("close", onClose);
        if (dialog.open) dialog.close();
        if (opener && document.contains(opener)) opener.focus();
        resolve(value);
      }
      function onClose() { done(dialog.returnValue === "ok" && area.value.trim() ? area.value.trim() : null); }
      dialog.addEventListener("close", onClose);
      document.getElementById("board-comment-cancel").onclick = () => { dialog.returnValue = "cancel"; dialog.close(); };
      dialog.returnValue = "";
      dialog.showModal();
      area.focus();
    });
  }

  function needsComment(card, to) {
    try {
      return JSON.parse(card.dataset.commentTo || "[]").includes(to);
    } catch (_err) {
      return false;
    }
  }

  async function move(card, to, given) {
    if (to === card.dataset.key || card.classList.contains("moving")) return;
    let comment = given;
    if (comment === undefined && needsComment(card, to)) {
      comment = await askComment(to);
      if (comment === null) return;
    }
    const from = placeOf(card);
    const home = { parent: card.parentNode, next: card.nextSibling };
    const target = placeFor(to);
    if (target) {
      target.querySelector("ul.cards").prepend(card);
      count(from, -1);
      count(target, 1);
    }
    card.classList.add("moving");
    const body = { kind: text.dataset.kind, field: text.dataset.field,
                   record: parseInt(card.dataset.id, 10),
                   revision: parseInt(card.dataset.revision, 10), to: to };
    if (comment) body.comment = comment;
    let answer = null;
    let ok = false;
    try {
      const resp = await fetch(text.dataset.moveUrl, {
        method: "POST", credentials: "same-origin", body: JSON.stringify(body),
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
      });
      answer = await resp.json().catch(() => null);
      ok = resp.ok && answer && answer.revision;
    } catch (_err) {
      answer = null;
    }
    card.classList.remove("moving");
    if (!ok && comment === undefined && answer && answer.error && answer.error.code === "comment_required") {
      // The process changed since the page was drawn: ask now, then send again.
      if (target) {
        home.parent.insertBefore(card, home.next && home.next.parentNode === home.parent ? home.next : null);
        count(target, -1);
        count(from, 1);
      }
      const asked = await askComment(to);
      if (asked !== null) await move(card, to, asked);
      return;
    }
    if (!ok) {
      // Snap back: the card returns to where it was, and the reason is shown.
      if (target) {
        home.parent.insertBefore(card, home.next && home.next.parentNode === home.parent ? home.next : null);
        count(target, -1);
        count(from, 1);
      }
      card.classList.add("refused");
      setTimeout(() => card.classList.remove("refused"), 2000);
      let reason = answer && answer.error ? answer.error.message : text.dataset.networkText;
      if (answer && answer.error && answer.error.code === "conflict") reason += ` ${text.dataset.reloadText}`;
      say(`${text.dataset.refusedText} ${reason}`, true);
      return;
    }
    card.dataset.revision = String(answer.revision);
    card.dataset.key = answer.to;
    const landed = placeFor(answer.to);
    if (landed && landed !== placeOf(card)) {  // a typed date: put it on its day
      landed.querySelector("ul.cards").prepend(card);
      count(landed, 1);
      count(target || from, -1);
    } else if (!landed) {
      const left = placeOf(card);
      card.remove();  // moved to a day this page does not show
      count(left, -1);
    }
    if (answer.movable !== undefined) {  // the status source: what the new status allows
      if (answer.movable) {
        card.setAttribute("draggable", "true");
        card.dataset.movable = "1";
      } else {
        card.removeAttribute("draggable");
        delete card.dataset.movable;
      }
      card.dataset.commentTo = JSON.stringify(answer.comment_to || []);
    }
    markCurrent(card);
    say(answer.message || text.dataset.movedText, false, Boolean(answer.message));
  }

  board.addEventListener("dragstart", (e) => {
    const card = e.target.closest && e.target.closest(".board-card[data-movable]");
    if (!card) return;
    dragged = card;
    card.classList.add("dragging");
    e.dataTransfer.effectAllowed = "move";
    e.dataTransfer.setData("text/plain", card.dataset.id);
  });
  board.addEventListener("dragend", () => {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    board.querySelectorAll(".drop-here").forEach((el) => el.classList.remove("drop-here"));
  });
  board.addEventListener("dragover", (e) => {
    const place = dragged && e.target.closest && e.target.closest("[data-day], .kanban-col");
    if (!place) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "move";
    board.querySelectorAll(".drop-here").forEach((el) => { if (el !== place) el.classList.remove("drop-here"); });
    place.classList.add("drop-here");
  });
  board.addEventListener("drop", (e) => {
    const place = dragged && e.target.closest && e.target.closest("[data-day], .kanban-col");
    if (!place) return;
    e.preventDefault();
    const card = dragged;
    place.classList.remove("drop-here");
    move(card, keyOf(place));
  });

  board.addEventListener("click", async (e) => {
    const button = e.target.closest && e.target.closest("[data-move-to]");
    if (button) {
      const card = button.closest(".board-card");
      const menu = button.closest("details");
      if (menu) menu.open = false;
      await move(card, button.dataset.moveTo);
      const link = card.querySelector(".card-title");
      if (link && document.contains(card)) link.focus();
      return;
    }
    const more = e.target.closest && e.target.closest("[data-more-url]");
    if (more) {
      more.disabled = true;
      more.textContent = text.dataset.loadingText;
      const resp = await fetch(more.dataset.moreUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } });
      const answer = await resp.json().catch(() => null);
      if (!resp.ok || !answer) {
        say(answer && answer.error ? answer.error.message : text.dataset.networkText, true);
        more.remove();
        return;
      }
      const list = more.parentNode.querySelector("ul.cards");
      const shown = new Set([...list.querySelectorAll(".board-card")].map((c) => c.dataset.id));
      const holder = document.createElement("ul");
      holder.innerHTML = answer.html;  // drawn by the server's template: every value escaped
      [...holder.children].forEach((c) => { if (!shown.has(c.dataset.id)) list.append(c); });
      if (answer.more) {
        more.dataset.moreUrl = answer.more;
        more.disabled = false;
        more.textContent = more.dataset.label || more.textContent;
      } else {
        more.remove();
      }
    }
  });
  board.querySelectorAll("[data-more-url]").forEach((b) => { b.dataset.label = b.textContent; });

  board.addEventListener("submit", (e) => {
    const form = e.target.closest(".move-day-form");
    if (!form) return;
    e.preventDefault();
    const card = form.closest(".board-card");
    const menu = form.closest("details");
    if (menu) menu.open = false;
    move(card, form.elements.to.value.trim());
  });

  // Esc closes an open move menu and returns to its button.
  board.addEventListener("keydown", (e) => {
    if (e.key !== "Escape") return;
    const menu = e.target.closest && e.target.closest("details.move-menu[open]");
    if (!menu) return;
    menu.open = false;
    menu.querySelector("summary").focus();
  });
})();
