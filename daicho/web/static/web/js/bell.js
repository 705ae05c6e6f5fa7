/* daicho: the bell in the top bar. The count comes with the page; while the page stays open it
   is asked again every minute (and when the tab comes back into view). */
(function () {
  "use strict";
  var POLL_MS = 60000;

  function update(bell, n) {
    var badge = bell.querySelector(".bell-count");
    if (!badge) return;
    badge.hidden = n === 0;
    badge.textContent = n > 99 ? "99+" : String(n);
    bell.setAttribute("aria-label", n === 0 ? bell.dataset.label
      : bell.dataset.labelUnread.replace("__N__", String(n)));
  }

  function poll(bell) {
    if (document.hidden) return;
    fetch(bell.dataset.countUrl, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) { if (body && typeof body.unread === "number") update(bell, body.unread); })
      .catch(function () { /* offline for a moment: the next poll tries again */ });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var bell = document.getElementById("bell");
    if (!bell) return;
    window.setInterval(function () { poll(bell); }, POLL_MS);
    document.addEventListener("visibilitychange", function () { poll(bell); });
  });
})();
