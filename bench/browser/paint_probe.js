// Runs in every frame before the frame's own scripts (a Playwright init script, outside the page's
// CSP). In the sandbox frame it tells the host when a chart first appears in the DOM and when the
// frame after it has been painted (two animation frames later).
(() => {
  if (!location.pathname.startsWith("/sandbox/")) return;
  const now = () => performance.timeOrigin + performance.now();
  let last = null;
  const check = () => {
    const chart = document.querySelector(
      ".recharts-bar-rectangle, .recharts-line-curve, .vz-pointcloud canvas, .recharts-scatter-symbol",
    );
    if (!chart || chart === last) return;
    last = chart;
    const kind = chart.matches(".recharts-bar-rectangle")
      ? "bar"
      : chart.matches(".recharts-line-curve")
        ? "line"
        : "scatter";
    const inserted = now();
    requestAnimationFrame(() => requestAnimationFrame(() => {
      const painted = now();
      // Where the time went: when the document and its scripts arrived, relative to timeOrigin.
      const nav = performance.getEntriesByType("navigation")[0];
      const scripts = performance
        .getEntriesByType("resource")
        .filter((entry) => entry.name.endsWith(".js"))
        .map((entry) => entry.responseEnd);
      const loaded = {
        origin: performance.timeOrigin,
        document: nav ? nav.responseEnd : 0,
        scripts: scripts.length ? Math.max(...scripts) : 0,
        domContentLoaded: nav ? nav.domContentLoadedEventEnd : 0,
      };
      window.parent.postMessage({ bench: "painted", kind, inserted, painted, loaded }, "*");
    }));
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true });
})();
