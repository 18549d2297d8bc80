/* The phone's own store in IndexedDB, shared by the pages and the service worker (sw.js):
 *   sales  — quick sales made offline, waiting to be sent (key: the sale's client UUID);
 *   carts  — the cart being built, per business, so it survives a reload;
 *   meta   — small facts, e.g. "lastOnline" (ms since epoch).
 */
self.bsStore = (function () {
  function open() {
    return new Promise(function (resolve, reject) {
      const request = indexedDB.open("biashara", 1);
      request.onupgradeneeded = function () {
        const db = request.result;
        db.createObjectStore("sales", { keyPath: "uuid" });
        db.createObjectStore("carts", { keyPath: "business" });
        db.createObjectStore("meta");
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }
  async function run(store, mode, work) {
    const db = await open();
    return new Promise(function (resolve, reject) {
      const tx = db.transaction(store, mode);
      const request = work(tx.objectStore(store));
      tx.oncomplete = function () { db.close(); resolve(request ? request.result : undefined); };
      tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
    });
  }
  return {
    all: function (store) { return run(store, "readonly", function (s) { return s.getAll(); }); },
    get: function (store, key) { return run(store, "readonly", function (s) { return s.get(key); }); },
    put: function (store, value, key) { return run(store, "readwrite", function (s) { return s.put(value, key); }); },
    remove: function (store, key) { return run(store, "readwrite", function (s) { return s.delete(key); }); },
  };
})();
