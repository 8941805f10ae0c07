// Usage bars of the billing page: their widths come from data-width (a style attribute would need
// 'unsafe-inline' in the Content-Security-Policy; setting the style from a script file does not).
(function () {
  "use strict";
  document.querySelectorAll(".billing-fill[data-width]").forEach((bar) => {
    const width = Math.max(0, Math.min(100, Number(bar.dataset.width) || 0));
    bar.style.width = width + "%";
  });
})();
