/* On every admin page: install the service worker (offline quick sale, theme/static/biashara/sw.js)
 * and say so when the network is gone, with the time it went: figures on the page are from then. */
(function () {
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/admin/sw.js", { scope: "/admin/" }).catch(function () {});
  }
  let banner = null;
  function show() {
    if (navigator.onLine) { if (banner) banner.hidden = true; return; }
    if (!banner) {
      banner = document.createElement("div");
      banner.setAttribute("role", "status");
      banner.dataset.offlineBanner = "";
      banner.className = "bs-offline-banner";
      document.body.prepend(banner);
    }
    const since = new Date().toTimeString().slice(0, 5);
    banner.innerHTML = "";
    banner.append(`Offline since ${since}: figures here are from then. `);
    if (!location.pathname.startsWith("/admin/sales/quick/")) {
      const link = document.createElement("a");
      link.href = "/admin/sales/quick/";
      link.textContent = "Quick sale works offline";
      banner.append(link);
    }
    banner.hidden = false;
  }
  window.addEventListener("offline", show);
  window.addEventListener("online", show);
  if (!navigator.onLine) document.addEventListener("DOMContentLoaded", show);
})();
