/* Draws every <canvas data-bs-trend='{"labels":…,"datasets":…}'> with Chart.js. Unfold ships
   Chart.js (unfold/js/chart/chart.js); this script loads it itself when the page has not, so
   only pages with a chart need it. Safe to run again after an htmx swap (old charts are destroyed). */
(function () {
  var me = document.currentScript;
  var src = me && me.dataset.chartjs;
  function draw() {
    document.querySelectorAll("canvas[data-bs-trend]").forEach(function (canvas) {
      var old = window.Chart.getChart(canvas);
      if (old) old.destroy();
      var data = JSON.parse(canvas.dataset.bsTrend);
      new window.Chart(canvas, {
        type: "line",
        data: data,
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
    });
  }
  if (window.Chart) { draw(); return; }
  var existing = document.querySelector("script[data-bs-chartjs]");
  if (existing) { existing.addEventListener("load", draw); return; }
  var script = document.createElement("script");
  script.src = src;
  script.dataset.bsChartjs = "1";
  script.onload = draw;
  document.head.appendChild(script);
})();
