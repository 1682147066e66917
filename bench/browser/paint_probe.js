// Runs in every frame before the frame's own scripts (a Playwright init script, outside the page's
// CSP). In the sandbox frame it tells the host when a chart first appears in the DOM and when the
// frame after it has been painted (two animation frames later).
(() => {
  if (!location.pathname.startsWith("/sandbox/")) return;
  const now = () => performance.timeOrigin + performance.now();
  let last = null;
  const check = () => {
    const chart = document.querySelector(".recharts-bar-rectangle, .recharts-line-curve");
    if (!chart || chart === last) return;
    last = chart;
    const kind = chart.matches(".recharts-bar-rectangle") ? "bar" : "line";
    const inserted = now();
    requestAnimationFrame(() => requestAnimationFrame(() => {
      window.parent.postMessage({ bench: "painted", kind, inserted, painted: now() }, "*");
    }));
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true });
})();
