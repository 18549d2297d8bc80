/* Biashara's service worker, scope /admin/ (served at /admin/sw.js after store.js, see
 * backoffice/views.py).
 *
 * - Static files: content-hashed names from the cache first (they never change); other names from
 *   the network, the cache when offline.
 * - The quick sale page: from the network, and a copy kept (its items and prices) for opening it
 *   offline; the page says how old its prices are.
 * - Every other page, money pages included (dashboard, reports), only from the network: offline,
 *   the offline page ("offline since HH:MM", a link to the quick sale) instead.
 * - A quick sale POSTed with no network and paid in cash or to the till (M-Pesa code typed) is kept in IndexedDB (bsStore "sales",
 *   by its client UUID) and answered 202; pages replay them (sales/offline.js), marked
 *   X-BS-Replay, which this worker sends to the network only. The server answers a reused UUID
 *   with the same sale, so a replay repeated after a cut never makes a second sale.
 */
const STATIC_CACHE = "bs-static-v1";
const PAGE_CACHE = "bs-pages-v1";
const QUICK_SALE = "/admin/sales/quick/";
const SUBMIT = "/admin/sales/quick/submit/";
const OFFLINE = "/admin/offline/";
const HASHED = /\.[0-9a-f]{12}\.[a-z0-9]+$/;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(PAGE_CACHE).then((cache) => cache.add(OFFLINE)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name !== STATIC_CACHE && name !== PAGE_CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && url.pathname === SUBMIT) {
    event.respondWith(submit(request));
  } else if (request.method !== "GET") {
    return;
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(staticFile(request, url));
  } else if (request.mode === "navigate") {
    event.respondWith(page(request, url));
  }
});

function json(body, status) {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

async function staticFile(request, url) {
  const cache = await caches.open(STATIC_CACHE);
  if (HASHED.test(url.pathname)) {
    const hit = await cache.match(request);
    if (hit) return hit;
  }
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    const hit = await cache.match(request);
    if (hit) return hit;
    throw error;
  }
}

async function page(request, url) {
  const cache = await caches.open(PAGE_CACHE);
  const quickSale = url.pathname === QUICK_SALE;
  let response;
  try {
    response = await fetch(request);
  } catch (error) {
    if (quickSale) {
      const business = url.searchParams.get("business");
      const hit = (business && await cache.match(`${QUICK_SALE}?business=${business}`)) || await cache.match(QUICK_SALE);
      if (hit) return hit;
    }
    return offlinePage(cache);
  }
  await bsStore.put("meta", Date.now(), "lastOnline").catch(() => {});
  const business = response.headers.get("X-BS-Business");
  if (quickSale && response.ok && !response.redirected && business) {
    await cache.put(QUICK_SALE, response.clone());  // the last business sold for (the session's choice)
    await cache.put(`${QUICK_SALE}?business=${business}`, response.clone());
  }
  return response;
}

async function offlinePage(cache) {
  const stored = await cache.match(OFFLINE);
  const since = await bsStore.get("meta", "lastOnline").catch(() => null);
  const time = since ? new Date(since).toTimeString().slice(0, 5) : "";
  const html = stored ? await stored.text() : "<p>You are offline.</p>";
  return new Response(html.replace("__SINCE__", time), {
    status: 503, headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" },
  });
}

async function submit(request) {
  if (request.headers.get("X-BS-Replay")) return fetch(request);
  const sale = await request.clone().json().catch(() => null);
  try {
    const response = await fetch(request);
    if (response.ok && sale) await forgetCart(sale);
    return response;
  } catch (error) {
    if (!sale || !["cash", "till"].includes(sale.method)) {
      return json({ error: "No network: an M-Pesa prompt needs it. Take cash, or the customer pays the till and you "
                          + "type the code from their SMS (Paid to the till)." }, 503);
    }
    await bsStore.put("sales", { uuid: sale.uuid, body: sale, queuedAt: Date.now(), state: "waiting", error: "" });
    await forgetCart(sale);
    return json({ queued: true, uuid: sale.uuid, next: `${QUICK_SALE}?business=${sale.business}&queued=${sale.uuid}` }, 202);
  }
}

async function forgetCart(sale) {
  const cart = await bsStore.get("carts", sale.business).catch(() => null);
  if (cart && cart.uuid === sale.uuid) await bsStore.remove("carts", sale.business);
}
