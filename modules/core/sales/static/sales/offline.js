/* The quick sale with no network (with the service worker, theme/static/biashara/sw.js).
 *
 * Wraps the page's bsQuickSale component (sales/quick_sale.html) without changing how it sells:
 * - the cart and its sale UUID are kept in IndexedDB per business, so a reload loses nothing and a
 *   resend after one is still the same sale;
 * - offline, the page says how old its prices are; a sale paid in cash, or to the till with the M-Pesa
 *   code typed in (matched when M-Pesa confirms it), is answered by the service worker
 *   (kept in IndexedDB), and the page comes back with ?queued=<uuid>: a provisional receipt and
 *   "waiting to send (N)";
 * - on load, on reconnect and every 30 s, one tab at a time (Web Locks) sends the waiting sales,
 *   oldest first. A sale leaves the phone only when the server answered for it: 200/201 (the server
 *   answers a UUID it has seen with the same sale, so a cut mid-send never makes two), or a refusal
 *   (out of stock, item retired), which is kept here, shown, and reported to the owner by the server.
 */
(function () {
  const make = window.bsQuickSale;
  if (!make || !window.bsStore) return;
  const money = (n) => "KES " + n.toLocaleString("en-KE", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const csrf = () => (document.cookie.match(/(?:^|; )csrftoken=([^;]+)/) || [])[1] || "";

  window.bsQuickSale = function (config) {
    const sale = make(config);
    const ownInit = sale.init;
    return Object.assign(sale, {
      offline: !navigator.onLine, waiting: 0, refused: [], receipt: null, pricesFrom: config.renderedAt || "",

      async init() {
        if (ownInit) ownInit.call(this);
        window.addEventListener("online", () => { this.offline = false; this.send(); });
        window.addEventListener("offline", () => { this.offline = true; });
        /* IndexedDB from the next task: opening it (created on a fresh profile) was part of
           Alpine's start-up, the page's longest task on a phone. */
        await new Promise((resolve) => setTimeout(resolve));
        const saved = await bsStore.get("carts", config.business).catch(() => null);
        if (saved && !Object.values(this.cart).some((q) => q > 0)) {
          this.uuid = saved.uuid;
          this.cart = saved.cart;
        }
        this.$watch("cart", (cart) => bsStore.put("carts", {
          business: config.business, uuid: this.uuid, cart: JSON.parse(JSON.stringify(cart)) }).catch(() => {}));
        const queued = new URLSearchParams(location.search).get("queued");
        if (queued) {
          const entry = await bsStore.get("sales", queued).catch(() => null);
          if (entry) this.receipt = this.describe(entry);
        }
        await this.count();
        this.send();
        setInterval(() => this.send(), 30000);
      },

      describe(entry) {
        const lines = entry.body.lines.map((line) => {
          const item = this.items.find((i) => i.id === line.item) || { name: `Item ${line.item}`, price: "0" };
          return { name: item.name, quantity: line.quantity, amount: line.quantity * +item.price };
        });
        const discount = +entry.body.discount || 0;
        return {
          uuid: entry.uuid, number: "P-" + entry.uuid.slice(0, 8).toUpperCase(), lines, error: entry.error,
          paidBy: entry.body.method === "till" ? `M-Pesa till, code ${entry.body.code} (matched when M-Pesa confirms it)` : "cash",
          at: new Date(entry.queuedAt).toTimeString().slice(0, 5),
          total: money(Math.max(lines.reduce((sum, l) => sum + l.amount, 0) - discount, 0)),
          lineText: lines.map((l) => `${l.quantity} × ${l.name}`).join(", "),
        };
      },

      async count() {
        const entries = (await bsStore.all("sales").catch(() => [])).filter((e) => e.body.business === config.business);
        this.waiting = entries.filter((e) => e.state === "waiting").length;
        this.refused = entries.filter((e) => e.state === "refused").map((e) => this.describe(e));
      },

      async send() {
        if (!navigator.onLine || !navigator.locks) return;
        await navigator.locks.request("bs-send-sales", { ifAvailable: true }, async (lock) => {
          if (!lock) return;  // another tab is sending them
          const entries = (await bsStore.all("sales")).filter((e) => e.state === "waiting")
            .sort((a, b) => a.queuedAt - b.queuedAt);
          for (const entry of entries) {
            let response;
            try {
              response = await fetch(config.submitUrl, {
                method: "POST", credentials: "same-origin",
                headers: { "Content-Type": "application/json", "X-CSRFToken": csrf(), "X-BS-Replay": "1" },
                body: JSON.stringify({ ...entry.body, offline: true }),
              });
            } catch (error) {
              return;  // the network went again: the rest waits for the next try
            }
            if (response.ok) {
              await bsStore.remove("sales", entry.uuid);
            } else if ([400, 409].includes(response.status)) {
              const body = await response.json().catch(() => ({}));
              await bsStore.put("sales", { ...entry, state: "refused", error: body.error || `Refused (${response.status})` });
            } else {
              return;  // signed out or the server is unwell: keep them all and try later
            }
            await this.count();
          }
        });
        await this.count();
      },

      async dismiss(uuid) {
        await bsStore.remove("sales", uuid);
        await this.count();
      },
    });
  };
})();
