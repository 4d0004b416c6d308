// Fupin pages: charts from server-provided ECharts options, and the CSRF header for htmx.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function menu() {
    var toggle = document.getElementById("menu-toggle");
    var top = document.getElementById("top");
    if (!toggle || !top) return;
    toggle.addEventListener("click", function () {
      var open = top.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  function drawCharts(root) {
    if (typeof echarts === "undefined") return;
    root.querySelectorAll("[data-chart]").forEach(function (element) {
      var option;
      try {
        option = JSON.parse(element.dataset.chart);
      } catch (error) {
        return;
      }
      var chart = echarts.getInstanceByDom(element) || echarts.init(element, null, { renderer: "canvas" });
      chart.setOption(option, true);
      element.dataset.chartReady = "1";
    });
  }

  function resizeCharts() {
    if (typeof echarts === "undefined") return;
    document.querySelectorAll("[data-chart]").forEach(function (element) {
      var chart = echarts.getInstanceByDom(element);
      if (chart) chart.resize();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    menu();
    drawCharts(document);
    var csrf = document.body.dataset.csrf;
    document.body.addEventListener("htmx:configRequest", function (event) {
      if (csrf) event.detail.headers["X-CSRF-Token"] = csrf;
    });
    document.body.addEventListener("htmx:afterSwap", function (event) {
      drawCharts(event.target);
    });
    window.addEventListener("resize", resizeCharts);
    // Forms that move money ask first: data-confirm holds the question, in the page's language.
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
        event.preventDefault();
      }
    }, true);
  });
})();
