/* Smart polling: one request per page to /admin/live/ (see modules/core/live/views.py).
 *
 * Every 15 s while the page is visible, every 120 s while hidden, at once when it becomes visible;
 * nothing after 30 min without a touch or key until the next one. The server answers 304 while no
 * version this user watches has moved. On a 200 the page refreshes only the widgets whose business
 * moved (any move for widgets of no single business), swaps the bell and updates "who is editing".
 * Widgets that watch no data (data-scope="clock") refresh on their own period from the same loop.
 * A dashboard widget refreshes by fetching its body (data-url) into .bo-widget-body; one that came
 * without it (data-load) is fetched at once. Plain fetch, not htmx attributes on every widget: htmx
 * set up the dashboard's widgets in ~0.7 ms each, the longest piece of the page's start on a phone.
 * Any other [data-widget] (the eTIMS part of a receipt) is told by the htmx event bs:refresh.
 */
(function () {
  const root = document.querySelector("[data-live-url]");
  if (!root || window.bsLive) return;
  const VISIBLE = 15000, HIDDEN = 120000, IDLE = 30 * 60 * 1000;
  const url = root.dataset.liveUrl;
  const state = { etag: "", versions: null, timer: null, lastInput: Date.now(), asleep: false, busy: false };
  const clockDue = new Map();

  const editing = () => (document.querySelector("[data-live-editing]") || { dataset: {} }).dataset.liveEditing || "";
  const newest = () => (document.querySelector("#bo-bell [data-newest]") || { dataset: {} }).dataset.newest || "";

  function refresh(el) {
    if (el.dataset.url) fetchBody(el);
    else if (window.htmx) htmx.trigger(el, "bs:refresh");
  }

  async function fetchBody(el) {
    if (el.dataset.loading) return;
    el.dataset.loading = "1";
    try {
      const response = await fetch(el.dataset.url, { credentials: "same-origin", cache: "no-store" });
      if (response.ok && !response.redirected) {  // redirected: signed out, to the login page
        const body = el.querySelector(".bo-widget-body");
        body.innerHTML = await response.text();
        if (window.htmx) htmx.process(body);  // a widget body's own hx- attributes, if it has any
      }
    } catch (e) {
      /* offline: the next poll tries again */
    } finally {
      delete el.dataset.loading;
    }
  }

  function refreshWidgets(moved) {
    document.querySelectorAll("[data-widget][data-scope]").forEach((el) => {
      const scope = el.dataset.scope;
      const due = scope === "clock" && Date.now() >= (clockDue.get(el) || 0);
      if (due || (moved && (scope === "any" ? moved.size > 0 : moved.has(scope)))) {
        if (scope === "clock") clockDue.set(el, Date.now() + 1000 * (+el.dataset.refresh || 60));
        refresh(el);
      }
    });
  }

  function apply(body) {
    const moved = new Set();
    const versions = body.versions || {};
    if (!Object.keys(versions).length) {  // Redis is down: no versions, so everything may have moved
      document.querySelectorAll("[data-scope]").forEach((el) => moved.add(el.dataset.scope));
    } else if (state.versions) {
      for (const [scope, version] of Object.entries(versions)) {
        if (state.versions[scope] !== version) moved.add(scope.startsWith("b:") ? scope.slice(2) : scope);
      }
    }
    state.versions = versions;
    const bell = document.getElementById("bo-bell");
    if (bell && body.bell !== undefined) {
      /* The page came with its bell: the first answer swaps it only when it says something else
         (swapping an equal bell re-ran Alpine and htmx over it, a long task on a phone's load). */
      const shown = bell.querySelector("[data-newest]") || { dataset: {} };
      const same = shown.dataset.newest === String(body.newest) && shown.dataset.unread === String(body.unread);
      if (moved.size || (!state.bellSeen && !same)) {
        bell.innerHTML = body.bell;
        if (window.htmx) htmx.process(bell);  // not loaded yet: it scans the whole page when it is
      }
      state.bellSeen = true;
    }
    refreshWidgets(moved);
    const banner = document.querySelector("[data-live-editing]");
    if (banner && body.editors) {
      banner.replaceChildren(...body.editors.map((e) => {
        const p = document.createElement("p");
        p.textContent = `${e.name} is editing this since ${e.since}.`;
        return p;
      }));
      banner.classList.toggle("hidden", body.editors.length === 0);
    }
  }

  async function poll() {
    if (state.busy) return;
    if (Date.now() - state.lastInput > IDLE) { state.asleep = true; return; }
    state.busy = true;
    try {
      const query = new URLSearchParams({ since: newest(), editing: editing() });
      const response = await fetch(`${url}?${query}`, {
        credentials: "same-origin", cache: "no-store",
        headers: state.etag ? { "If-None-Match": state.etag } : {},
      });
      if (response.status === 304) { refreshWidgets(null); return; }
      if (response.status === 401 || response.redirected) { stop(); return; }  // signed out
      if (!response.ok) return;
      state.etag = response.headers.get("ETag") || "";
      apply(await response.json());
    } catch (e) {
      /* offline: try again next time */
    } finally {
      state.busy = false;
    }
  }

  function schedule() {
    clearTimeout(state.timer);
    state.timer = setTimeout(() => { poll().finally(schedule); }, document.hidden ? HIDDEN : VISIBLE);
  }
  function stop() { clearTimeout(state.timer); state.timer = null; }
  function now() { stop(); poll().finally(schedule); }

  document.addEventListener("visibilitychange", () => { if (!document.hidden) now(); else schedule(); });
  ["pointerdown", "keydown", "touchstart", "scroll"].forEach((type) =>
    window.addEventListener(type, () => {
      state.lastInput = Date.now();
      if (state.asleep) { state.asleep = false; now(); }
    }, { passive: true }));

  /* Pull to refresh on the dashboard: pull down from the top by 70 px. */
  const dashboard = document.getElementById("dashboard");
  if (dashboard) {
    let startY = null;
    window.addEventListener("touchstart", (e) => { startY = window.scrollY === 0 ? e.touches[0].clientY : null; }, { passive: true });
    window.addEventListener("touchend", (e) => {
      if (startY !== null && e.changedTouches[0].clientY - startY > 70) {
        document.querySelectorAll("[data-widget][data-url]").forEach(refresh);
        now();
      }
      startY = null;
    }, { passive: true });
  }

  window.bsLive = { poll: now };
  document.querySelectorAll("[data-scope='clock']").forEach((el) =>
    clockDue.set(el, Date.now() + 1000 * (+el.dataset.refresh || 60)));
  document.querySelectorAll("[data-widget][data-load]").forEach(refresh);
  now();
})();
