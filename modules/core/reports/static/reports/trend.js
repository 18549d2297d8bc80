/* Draws every <canvas data-bs-trend='{"labels":…,"datasets":…}'> with Chart.js when it comes near
   the screen, so a chart below the fold costs nothing while the page loads. Unfold ships Chart.js
   (unfold/js/chart/chart.js); this script loads it itself, at the first chart to draw, so only
   pages with a chart pay for it. Safe to run again after an htmx swap (old charts are destroyed). */
(function () {
  var me = document.currentScript;
  var src = me && me.dataset.chartjs;

  function withChart(then) {
    if (window.Chart) return then();
    var script = document.querySelector("script[data-bs-chartjs]");
    if (!script) {
      script = document.createElement("script");
      script.src = src;
      script.dataset.bsChartjs = "1";
      document.head.appendChild(script);
    }
    script.addEventListener("load", then);
  }

  function paint(canvas) {
    var old = window.Chart.getChart(canvas);
    if (old) old.destroy();
    new window.Chart(canvas, {
      type: "line",
      data: JSON.parse(canvas.dataset.bsTrend),
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { display: true, position: "bottom", labels: { boxWidth: 10, boxHeight: 10 } } },
        scales: {
          x: { ticks: { maxTicksLimit: 6, maxRotation: 0 }, grid: { display: false } },
          y: { beginAtZero: true, ticks: { maxTicksLimit: 5, callback: function (v) { return v.toLocaleString(); } } }
        }
      }
    });
    canvas.dataset.bsDrawn = "1";
  }

  document.querySelectorAll("canvas[data-bs-trend]").forEach(function (canvas) {
    var draw = function () { withChart(function () { paint(canvas); }); };
    if (!("IntersectionObserver" in window)) return draw();
    var watch = new IntersectionObserver(function (entries) {
      if (entries.some(function (e) { return e.isIntersecting; })) { watch.disconnect(); draw(); }
    }, { rootMargin: "200px" });
    watch.observe(canvas);
  });
})();
