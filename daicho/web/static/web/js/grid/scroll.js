/* Continuous scrolling: when the grid is scrolled near its last row, the rows after it are read
   from the server (the page's own query from the last row's keyset cursor, one page size at a
   time) and appended; the arrow keys, Page Down and Ctrl+↓ go on into them. Requests stay
   bounded (one page size each, one at a time) and so does the page: after MAX_ROWS rows the
   grid stops growing and the "Next" link goes on from the last row shown. */

const MAX_ROWS = 5000;

export function installScroll(g) {
  const table = g.table;
  let url = table.dataset.rowsUrl || "";
  const wrap = table.closest(".grid-wrap");
  const next = document.getElementById("next-page");
  const texts = document.getElementById("column-menu");
  let loading = null;
  if (!url || !wrap) return;
  function text(key) { return (texts && texts.dataset[key]) || ""; }

  g.loadMore = function () {
    if (loading) return loading;
    if (!url) return Promise.resolve(0);
    if (g.rows().length >= MAX_ROWS) {
      g.say(text("limitText"));
      return Promise.resolve(0);
    }
    table.setAttribute("aria-busy", "true");
    wrap.classList.add("loading-more");
    loading = fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (resp) {
        return resp.json().then(function (data) { return { ok: resp.ok, data: data }; });
      })
      .then(function (res) {
        if (!res.ok) {
          g.refuse((res.data.error && res.data.error.message) || g.t("networkText"));
          url = "";
          return 0;
        }
        const holder = document.createElement("tbody");
        holder.innerHTML = res.data.rows.join("");
        const fresh = Array.prototype.slice.call(holder.rows);
        fresh.forEach(function (tr) {
          if (g.rowFor(tr.dataset.id)) return; // already here (inserted or restored meanwhile)
          g.emit("row", tr);
          g.tbody.appendChild(tr);
        });
        url = res.data.next || "";
        table.dataset.rowsUrl = url;
        if (next) {
          if (res.data.page) next.href = res.data.page; else next.remove();
        }
        if (!url) table.dataset.lastPage = "1";
        g.emit("rows-loaded", fresh);
        g.say(text("loadedText") + " " + g.rows().length);
        observe();
        return fresh.length;
      })
      .catch(function () {
        g.refuse(g.t("networkText", "The server could not be reached."));
        return 0;
      })
      .finally(function () {
        loading = null;
        table.removeAttribute("aria-busy");
        wrap.classList.remove("loading-more");
      });
    return loading;
  };

  // The last row coming near the bottom of the grid's box asks for more.
  let watched = null;
  const observer = new IntersectionObserver(function (entries) {
    if (entries.some(function (e) { return e.isIntersecting; })) g.loadMore();
  }, { root: wrap, rootMargin: "0px 0px 300px 0px" });
  function observe() {
    const all = g.rows();
    const last = all[all.length - 1];
    if (watched) observer.unobserve(watched);
    watched = url && last ? last : null;
    if (watched) observer.observe(watched);
  }
  observe();

  // Moving down past the last loaded row loads the next rows first, then moves.
  const move = g.move;
  g.move = function (cell, dr, dc) {
    const at = g.position(cell);
    if (url && dr > 0 && at.r >= 0 && at.r + dr > g.rows().length - 1) {
      g.loadMore().then(function () { move(cell, dr, dc); });
      return;
    }
    move(cell, dr, dc);
  };
}
