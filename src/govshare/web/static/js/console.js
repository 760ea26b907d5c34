/* govshare console: charts, copy buttons and confirmations. No text lives here: every label comes from
   the page (data-* attributes rendered through the translation catalog). */
(function () {
  "use strict";

  var charts = [];

  function initCharts(root) {
    if (!window.echarts) return;
    var locale = (document.documentElement.lang || "zh").toLowerCase().indexOf("zh") === 0 ? "ZH" : "EN";
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.getAttribute("data-chart-ready")) return;
      var source = document.getElementById(el.getAttribute("data-chart"));
      if (!source) return;
      el.style.height = (parseInt(el.getAttribute("data-height"), 10) || 280) + "px";
      var chart = window.echarts.init(el, null, { renderer: "canvas", locale: locale });
      chart.setOption(JSON.parse(source.textContent));
      el.setAttribute("data-chart-ready", "1");
      charts.push(chart);
    });
  }

  function copyText(text, button) {
    var done = function () {
      var original = button.textContent;
      button.textContent = button.getAttribute("data-copied-label") || original;
      window.setTimeout(function () { button.textContent = original; }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done);
      return;
    }
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    document.execCommand("copy");
    document.body.removeChild(area);
    done();
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (!button) return;
    var target = document.getElementById(button.getAttribute("data-copy-target"));
    if (target) copyText(target.textContent.trim(), button);
  });

  // Plain (non-htmx) forms that change something irreversible ask first, as hx-confirm does for htmx.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !form.hasAttribute("hx-post") && !window.confirm(question)) event.preventDefault();
  }, true);

  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });

  function start() {
    initCharts(document);
    if (window.htmx) window.htmx.onLoad(initCharts); // content swapped in later (idempotent per chart)
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
