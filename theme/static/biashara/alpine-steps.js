/* Alpine starts a page in one task: on a list or the dashboard 150-300 ms in a 4x-throttled trace
   (a mid-range phone), the longest task after the first paint. A page that paints
   before its scripts (html[data-bs-cloak], see biashara/skeleton.html) starts in slices instead, each
   a task of its own: the page's theme as Alpine starts, then the body's state and frame, the
   content, the header, the sidebar (hidden on a phone until its button is tapped) and the overlays
   (modal, command search), each cut into slices of about SLICE_MS. A slice walks the tree as Alpine
   does (Alpine.initTree's walker) until its share of time is spent, and leaves the rest, in document
   order, to the next: a component is set up before what is inside it, and what a directive looks up
   (its scope, an x-ref earlier on the page) is there, as in one go. Alpine runs a slice's directives
   after its walk, so the walk gets the slice's time divided by how much longer the last slice's
   directives took than its walk. The cloak (hidden [x-show], inert taps) lifts when the last slice
   is done, and the scripts held for then (htmx: type text/bs-after-alpine) load. Other pages
   (forms, under x-cloak: nothing shows until Alpine has started) start in one go. */
(function () {
  const html = document.documentElement;
  const LATER = ["body", "#content", "#header-inner", "#nav-sidebar-inner", "body > :not(#page)"];
  const SLICE_MS = 8;
  let later = [];
  let wholeToWalk = 4;  // a slice's time over its walk's time, as last measured

  document.addEventListener("alpine:init", () => {
    document.head._x_ignore = true;  // nothing there for Alpine: its walk would read every tag's attributes
    if (!html.hasAttribute("data-bs-cloak")) return;
    later = LATER.flatMap((selector) => [...document.querySelectorAll(selector)]);
    later.forEach((el) => { el._x_ignore = true; });  // what x-ignore sets: Alpine's walk skips the subtree
  });

  function slice() {
    if (!later.length) {
      html.removeAttribute("data-bs-cloak");
      document.querySelectorAll('script[type="text/bs-after-alpine"]').forEach((held) => {
        const script = document.createElement("script");
        script.src = held.src;
        script.async = false;  // in the page's order
        held.replaceWith(script);
      });
      return;
    }
    const start = performance.now();
    const walkUntil = start + SLICE_MS / wholeToWalk;
    const left = [];  // subtrees this slice did not reach, in document order
    let walked = false;
    const walk = (el, visit) => {
      if (walked && performance.now() > walkUntil) {
        left.push(el);
        return;
      }
      walked = true;
      let skip = false;
      visit(el, () => { skip = true; });
      if (skip) return;
      for (let child = el.firstElementChild; child; child = child.nextElementSibling) walk(child, visit);
    };
    let walkEnd = start;
    const el = later.shift();
    delete el._x_ignore;
    window.Alpine.initTree(el, (root, visit) => { walk(root, visit); walkEnd = performance.now(); });
    const end = performance.now();
    if (walkEnd > start) wholeToWalk = Math.min(Math.max((end - start) / (walkEnd - start), 1), 20);
    later = left.concat(later);
    setTimeout(slice);
  }

  document.addEventListener("alpine:initialized", () => setTimeout(slice));
})();
