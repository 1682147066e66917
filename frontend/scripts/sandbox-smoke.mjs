// Smoke test of the BUILT sandbox in real headless Chromium: serves dist/ under /static/ the way
// Django + whitenoise do (Access-Control-Allow-Origin: *), serves /sandbox/ with the production CSP,
// embeds it from a host page as <iframe sandbox="allow-scripts">, and drives it over the postMessage
// protocol: JSON bar chart, params-only re-render, Parquet, compile error, isolation, PNG/SVG export.
// Usage: npm run build && npm run smoke:sandbox [-- --out <dir>]   (needs /usr/bin/chromium)
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
const outArg = process.argv.indexOf("--out");
const outDir = outArg > 0 ? process.argv[outArg + 1] : join(root, "smoke-output");
// The production policy of vizorch_site.views.sandbox_csp, for this server's static prefix.
const csp = (origin) =>
  [
    "default-src 'none'",
    `script-src ${origin}/static/ 'unsafe-eval'`,
    `style-src ${origin}/static/ 'unsafe-inline'`,
    "img-src data: blob:",
    "font-src data:",
    "media-src 'none'",
    "object-src 'none'",
    "connect-src 'none'",
    "frame-src 'none'",
    "child-src 'none'",
    "worker-src 'none'",
    "manifest-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
    "frame-ancestors 'self'",
    "sandbox allow-scripts",
  ].join("; ");

const manifest = JSON.parse(readFileSync(join(dist, "manifest.json"), "utf8"));

/** The tags django-vite renders for an entry: stylesheets, module preloads, the module script. */
function tagsFor(entryName) {
  const entry = manifest[entryName];
  const css = new Set(entry.css ?? []);
  const preload = new Set();
  const visit = (name) => {
    const chunk = manifest[name];
    if (!chunk || preload.has(chunk.file)) return;
    preload.add(chunk.file);
    for (const c of chunk.css ?? []) css.add(c);
    for (const next of chunk.imports ?? []) visit(next);
  };
  for (const name of entry.imports ?? []) visit(name);
  return [
    ...[...css].map((f) => `<link rel="stylesheet" href="/static/${f}">`),
    ...[...preload].map((f) => `<link rel="modulepreload" href="/static/${f}" crossorigin="">`),
    `<script type="module" crossorigin="" src="/static/${entry.file}"></script>`,
  ].join("\n");
}

const sandboxHtml = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Vizorch sandbox</title>
${tagsFor("src/sandbox/main.tsx")}</head><body><div id="root"></div></body></html>`;

const hostHtml = `<!doctype html><html><head><meta charset="utf-8"><title>host</title>
<style>body{margin:0;font-family:sans-serif} iframe{width:760px;height:460px;border:1px solid #ccc}</style></head>
<body><iframe id="frame" sandbox="allow-scripts" src="/sandbox/"></iframe>
<script>
  const frame = document.getElementById("frame");
  window.__messages = [];
  window.__ready = new Promise((resolve) => {
    window.addEventListener("message", (event) => {
      if (event.source !== frame.contentWindow) return;
      window.__messages.push(event.data);
      if (event.data && event.data.type === "ready") resolve(true);
    });
  });
  window.__send = (message, transfer) => frame.contentWindow.postMessage(message, "*", transfer || []);
  window.__waitFor = (predicate, timeoutMs = 8000) => new Promise((resolve, reject) => {
    const start = Date.now();
    const tick = () => {
      const found = window.__messages.find(predicate);
      if (found) return resolve(found);
      if (Date.now() - start > timeoutMs) return reject(new Error("timeout; got " + JSON.stringify(window.__messages.map(m => m.type + ":" + (m.message || "")))));
      setTimeout(tick, 50);
    };
    tick();
  });
</script></body></html>`;

const requests = [];
const types = {
  ".js": "text/javascript",
  ".css": "text/css",
  ".json": "application/json",
  ".parquet": "application/octet-stream",
};
const server = createServer((req, res) => {
  const path = new URL(req.url, "http://x").pathname;
  requests.push(path);
  if (path === "/sandbox/") {
    res.writeHead(200, {
      "Content-Type": "text/html; charset=utf-8",
      "Content-Security-Policy": csp(`http://${req.headers.host}`),
    });
    return res.end(sandboxHtml);
  }
  if (path === "/host.html") {
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    return res.end(hostHtml);
  }
  if (path === "/fixtures/sales_by_region.parquet") {
    res.writeHead(200, { "Content-Type": types[".parquet"] });
    return res.end(readFileSync(join(root, "scripts", "fixtures", "sales_by_region.zstd.parquet")));
  }
  if (path.startsWith("/static/")) {
    const file = normalize(join(dist, path.slice("/static/".length)));
    if (file.startsWith(dist)) {
      try {
        const body = readFileSync(file);
        res.writeHead(200, {
          "Content-Type": types[extname(file)] ?? "application/octet-stream",
          "Access-Control-Allow-Origin": "*",
        });
        return res.end(body);
      } catch {
        // fall through to 404
      }
    }
  }
  res.writeHead(404, { "Content-Type": "text/plain" });
  res.end("not found");
});

const BAR_CHART = `import React from "react";
import { ResponsiveContainer, BarChart, Bar, XAxis, YAxis, CartesianGrid, Tooltip, Cell, LabelList } from "recharts";
import { rowsToObjects, getColors, formatNumber } from "@vizorch/kit";

export default function Viz({ data, params }) {
  const rows = rowsToObjects(data);
  const colors = getColors(params.color_scheme);
  return (
    <div style={{ width: "100%", height: 400 }}>
      <h2 data-testid="chart-title">{params.title}</h2>
      <ResponsiveContainer width="100%" height="90%">
        <BarChart data={rows}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="region" />
          <YAxis tickFormatter={(v) => formatNumber(v, { compact: true })} />
          <Tooltip />
          <Bar dataKey="total_sales" isAnimationActive={false}>
            {rows.map((r, i) => <Cell key={String(r.region)} fill={colors[i % colors.length]} />)}
            {params.show_labels ? <LabelList dataKey="total_sales" position="top" formatter={(v) => formatNumber(v, { compact: true })} /> : null}
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}`;

const ROWS = [
  ["North", 125000],
  ["South", 98000],
  ["East", 143500],
  ["West", 87250],
];
const CHANNEL = "vizorch-sandbox/1";
const params = {
  title: "Total sales by region",
  chart_type: "bar",
  color_scheme: "default",
  show_labels: true,
};

const checks = [];
function check(name, ok, detail = "") {
  checks.push({ name, ok });
  console.log(`${ok ? "ok  " : "FAIL"} ${name}${detail ? ` — ${detail}` : ""}`);
}

await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const base = `http://127.0.0.1:${server.address().port}`;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
});
try {
  const page = await browser.newPage({ viewport: { width: 800, height: 500 } });
  const consoleLines = [];
  page.on("console", (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
  await page.goto(`${base}/host.html`);
  const ready = await page
    .evaluate(() => Promise.race([window.__ready, new Promise((r) => setTimeout(() => r(false), 8000))]))
    .catch(() => false);
  check(
    "sandbox boots under the production CSP in an opaque-origin iframe",
    ready === true,
    ready ? "" : consoleLines.join("\n"),
  );
  if (!ready) throw new Error("sandbox did not boot");

  const send = (message) => page.evaluate((m) => window.__send(m), message);
  const waitFor = (type, renderId) =>
    page.evaluate(
      ([t, id]) =>
        window
          .__waitFor((m) => m.type === t && (id === null || m.renderId === id || m.requestId === id))
          .then((m) => ({ ...m, blob: m.blob ? { size: m.blob.size, type: m.blob.type } : null })),
      [type, renderId],
    );
  const frame = page.frameLocator("#frame");

  // 1. A bar chart from JSON data.
  await send({
    channel: CHANNEL,
    type: "render",
    renderId: 1,
    code: BAR_CHART,
    params,
    data: { format: "json", result: { columns: ["region", "total_sales"], rows: ROWS } },
    theme: "light",
  });
  await waitFor("rendered", 1);
  const bars = await frame.locator(".recharts-bar-rectangle").count();
  check("bar chart renders one bar per region", bars === 4, `${bars} bars`);
  mkdirSync(outDir, { recursive: true });
  await page.screenshot({ path: join(outDir, "sandbox-bar-chart.png") });

  // 2. A params-only message re-renders with the new title (no data in the message at all).
  await send({
    channel: CHANNEL,
    type: "params",
    renderId: 2,
    params: { ...params, title: "Sales, renamed", color_scheme: "warm" },
  });
  await waitFor("rendered", 2);
  const title = await frame.locator("[data-testid=chart-title]").textContent();
  check("params message re-renders with the new title", title === "Sales, renamed", title ?? "");
  await page.screenshot({ path: join(outDir, "sandbox-bar-chart-params.png") });

  // 3. Export PNG and SVG come back as Blobs.
  await send({ channel: CHANNEL, type: "export", requestId: 7, format: "png" });
  const png = await waitFor("exported", 7);
  check(
    "PNG export returns an image",
    png.blob?.type === "image/png" && png.blob.size > 1000,
    JSON.stringify(png.blob ?? png.message),
  );
  await send({ channel: CHANNEL, type: "export", requestId: 8, format: "svg" });
  const svg = await waitFor("exported", 8);
  check(
    "SVG export returns an SVG",
    String(svg.blob?.type).startsWith("image/svg+xml") && svg.blob.size > 500,
    JSON.stringify(svg.blob ?? svg.message),
  );

  // 4. Parquet is decoded inside the sandbox (the host transfers the bytes).
  await page.evaluate(
    async (c) => {
      const buffer = await (await fetch("/fixtures/sales_by_region.parquet")).arrayBuffer();
      window.__send(
        {
          channel: c.CHANNEL,
          type: "render",
          renderId: 3,
          code: c.code,
          params: c.params,
          data: { format: "parquet", buffer },
          theme: "dark",
        },
        [buffer],
      );
    },
    { CHANNEL, code: BAR_CHART, params: { ...params, title: "From Parquet" } },
  );
  await waitFor("rendered", 3);
  const parquetBars = await frame.locator(".recharts-bar-rectangle").count();
  check("Parquet data decodes and renders", parquetBars === 4, `${parquetBars} bars`);
  await page.screenshot({ path: join(outDir, "sandbox-bar-chart-parquet-dark.png") });

  // 5. A compile error is caught and reported.
  await send({
    channel: CHANNEL,
    type: "render",
    renderId: 4,
    code: "export default function Viz( {",
    params,
    data: { format: "json", result: { columns: ["a"], rows: [[1]] } },
    theme: "light",
  });
  const compile = await waitFor("error", 4);
  check("compile error is reported", compile.phase === "compile", compile.message);

  // 6. Isolation: the network, cookies and the parent document are out of reach.
  const attempts = {
    fetch: `import React, { useEffect } from "react";
export default function Viz() {
  useEffect(() => { fetch("/api/templates").then((r) => r.text()); }, []);
  return <p>fetching</p>;
}`,
    cookie: `export default function Viz() { return <p>{document.cookie}</p>; }`,
    parent: `export default function Viz() { return <p>{window.parent.document.title}</p>; }`,
    image: `export default function Viz() { return <img src="http://127.0.0.1:9/steal.png" alt="" />; }`,
    import: `import x from "node:fs";\nexport default function Viz() { return <p>{String(x)}</p>; }`,
  };
  let id = 10;
  for (const [name, code] of Object.entries(attempts)) {
    id += 1;
    await send({
      channel: CHANNEL,
      type: "render",
      renderId: id,
      code,
      params,
      data: { format: "json", result: { columns: ["a"], rows: [[1]] } },
      theme: "light",
    });
    const error = await waitFor("error", id).catch((e) => ({ message: `no error: ${e.message}` }));
    check(
      `isolation: ${name} fails inside the sandbox`,
      Boolean(error.phase),
      `${error.phase}: ${error.message}`,
    );
  }
  await page.waitForTimeout(300);
  check(
    "isolation: the server received no /api/ request",
    !requests.some((p) => p.startsWith("/api/")),
    requests.filter((p) => p.startsWith("/api/")).join(","),
  );
  writeFileSync(join(outDir, "requests.txt"), `${requests.join("\n")}\n`);
} finally {
  await browser.close();
  server.close();
}

const failed = checks.filter((c) => !c.ok).length;
console.log(`${checks.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
