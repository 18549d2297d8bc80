/* Alpine starts a page in one task: on a list or the dashboard 150-300 ms in a 4x-throttled trace
   (a mid-range phone), the longest task after the first paint. A page that paints
   before its scripts (html[data-bs-cloak], see biashara/skeleton.html) starts in steps instead, each
   a task of its own: the page's frame (theme and the body's state) as Alpine starts, then the
   content, the header, the sidebar (hidden on a phone until its button is tapped) and the overlays
   (modal, command search). A step's directives see the scopes above it as usual: Alpine looks them
   up through the DOM. The cloak (hidden [x-show], inert taps) lifts when the last step is done.
   Other pages (forms, under x-cloak: nothing shows until Alpine has started) start in one go. */
(function () {
  const html = document.documentElement;
  const LATER = ["#content", "#header-inner", "#nav-sidebar-inner", "body > :not(#page)"];
  let later = [];

  document.addEventListener("alpine:init", () => {
    if (!html.hasAttribute("data-bs-cloak")) return;
    later = LATER.flatMap((selector) => [...document.querySelectorAll(selector)]);
    later.forEach((el) => { el._x_ignore = true; });  // what x-ignore sets: Alpine's walk skips the subtree
  });

  document.addEventListener("alpine:initialized", () => {
    const step = () => {
      const el = later.shift();
      if (!el) {
        html.removeAttribute("data-bs-cloak");
        return;
      }
      delete el._x_ignore;
      window.Alpine.initTree(el);
      setTimeout(step);
    };
    setTimeout(step);
  });
})();
