/* The lean pages scroll natively instead of loading SimpleBar (custom scrollbars: its layout work was
   the longest task on a phone's list page). Unfold's app.js asks SimpleBar for the sidebar's instance
   on load: answer "none", and keep the active link in view by scrolling the sidebar itself. */
window.SimpleBar = window.SimpleBar || { instances: new Map() };
window.addEventListener("load", () => {
  if (!window.matchMedia("(min-width: 1280px)").matches) return;  // below xl the sidebar is hidden: reading its layout forced a whole one
  const nav = document.getElementById("nav-sidebar-apps");
  const active = nav && nav.querySelector("a.active");
  if (active && active.offsetTop > nav.scrollTop + nav.clientHeight) {
    nav.scrollTop = active.offsetTop - nav.clientHeight / 2;
  }
});
