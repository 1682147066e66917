// End-to-end smoke of the portal against a RUNNING Vizorch server (daphne + built front end), in
// headless Chromium: sign in, ask, watch the stream, tune a parameter without any data request,
// save a template and reopen it, then stop a run. Screenshots go to --out.
// Usage: VIZORCH_URL=http://127.0.0.1:8000 VIZORCH_USER=analyst VIZORCH_PASSWORD=... \
//        node scripts/portal-smoke.mjs [--out dir]
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const base = process.env.VIZORCH_URL ?? "http://127.0.0.1:8000";
const user = process.env.VIZORCH_USER ?? "analyst";
const password = process.env.VIZORCH_PASSWORD ?? "";
const outArg = process.argv.indexOf("--out");
const outDir = outArg > 0 ? process.argv[outArg + 1] : "smoke-output";
mkdirSync(outDir, { recursive: true });

const checks = [];
function check(name, ok, detail = "") {
  checks.push(ok);
  console.log(`${ok ? "ok  " : "FAIL"} ${name}${detail ? ` — ${detail}` : ""}`);
}

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
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const requests = [];
  page.on("request", (r) => requests.push({ url: r.url(), at: Date.now() }));
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  // Console errors, printed for a look (the hostile components below cause some on purpose).
  const consoleErrors = [];
  page.on("console", (m) => {
    if (
      m.type() === "error" &&
      !m.location().url.includes("/sandbox/") &&
      page.mainFrame() === m.page()?.mainFrame()
    ) {
      consoleErrors.push(`${m.text()} @ ${m.location().url}`);
    }
  });

  await page.goto(`${base}/login/`);
  await page.fill("input[name=username]", user);
  await page.fill("input[name=password]", password);
  await Promise.all([page.waitForURL(`${base}/`), page.click("button[type=submit]")]);
  await page.getByTestId("prompt-input").waitFor();
  check(
    "portal loads for the signed-in user",
    (await page.getByTestId("current-user").textContent()) === user,
  );

  // 1. Ask; thoughts and code stream; a bar chart appears in the sandbox.
  await page.getByTestId("prompt-input").fill("Show total sales by region");
  await page.getByTestId("prompt-input").press("Enter");
  await page
    .locator("[data-testid=run][data-status=complete], [data-testid=run][data-status=error]")
    .first()
    .waitFor({ timeout: 60_000 });
  const status = await page.getByTestId("run").first().getAttribute("data-status");
  check(
    "the run completes",
    status === "complete",
    (await page.getByTestId("run-error").allTextContents()).join(" "),
  );
  check("thoughts streamed", (await page.getByTestId("run-thoughts").count()) > 0);
  const frame = page.frameLocator("[data-testid=sandbox-frame]");
  await frame.locator(".recharts-bar-rectangle").first().waitFor({ timeout: 15_000 });
  const bars = await frame.locator(".recharts-bar-rectangle").count();
  check("a bar chart renders in the sandbox", bars > 0, `${bars} bars`);
  await page.waitForTimeout(800);
  await page.screenshot({ path: join(outDir, "portal-chat-chart.png") });

  // 2. Changing the title re-renders without any /api/data/ request.
  const before = requests.length;
  const title = page.getByTestId("param-title");
  await title.fill("Renamed by the smoke test");
  await frame
    .getByText("Renamed by the smoke test")
    .first()
    .waitFor({ timeout: 3000 })
    .then(
      () => check("title parameter re-renders the chart", true),
      () => check("title parameter re-renders the chart", false),
    );
  const dataRequests = requests.slice(before).filter((r) => r.url.includes("/api/data/"));
  check(
    "no /api/data/ request on a parameter change",
    dataRequests.length === 0,
    dataRequests.map((r) => r.url).join(","),
  );

  // Tabs.
  for (const tab of ["code", "data", "sql"]) {
    await page.getByTestId(`tab-${tab}`).click();
    await page.waitForTimeout(300);
    if (tab === "data")
      check("data tab shows rows", (await page.getByTestId("data-table").locator("tbody tr").count()) > 0);
    await page.screenshot({ path: join(outDir, `portal-tab-${tab}.png`) });
  }
  await page.getByTestId("tab-preview").click();

  // 3. Save as template, reopen it from the gallery.
  await page.getByTestId("save-template").click();
  await page.getByTestId("template-title").fill("Smoke: sales by region");
  await page.getByTestId("save-template-submit").click();
  await page.getByTestId("save-status").waitFor({ timeout: 10_000 });
  await page.getByTestId("nav-templates").click();
  await page.getByTestId("template-card").first().waitFor();
  await page.screenshot({ path: join(outDir, "portal-gallery.png") });
  await page.reload();
  await page.getByRole("button", { name: "Open Smoke: sales by region" }).first().click();
  await page.getByTestId("template-view").waitFor();
  await frame.locator(".recharts-bar-rectangle").first().waitFor({ timeout: 15_000 });
  check(
    "the saved template renders after a reload",
    (await frame.locator(".recharts-bar-rectangle").count()) === bars,
  );
  check(
    "the template keeps the tuned title",
    (await frame.getByText("Renamed by the smoke test").count()) > 0,
  );
  await page.waitForTimeout(500);
  await page.screenshot({ path: join(outDir, "portal-template.png") });

  // Refine the template's component for the same data (generate-ui): no query runs again.
  const beforeRefine = requests.length;
  await page.getByTestId("prompt-input").fill("Show it as a pie chart");
  await page.getByTestId("prompt-input").press("Enter");
  await frame
    .locator(".recharts-pie-sector")
    .first()
    .waitFor({ timeout: 60_000 })
    .then(
      () => check("refining a template regenerates its component", true),
      () => check("refining a template regenerates its component", false),
    );
  const refineData = requests.slice(beforeRefine).filter((r) => r.url.includes("/api/data/"));
  check("refining makes no data request", refineData.length === 0, refineData.map((r) => r.url).join(","));
  await page.waitForTimeout(800);
  await page.screenshot({ path: join(outDir, "portal-template-refined.png") });
  await page.reload();
  await frame.locator(".recharts-bar-rectangle").first().waitFor({ timeout: 15_000 });

  // Isolation: a template whose component reaches for the network, the cookies or the parent page
  // fails inside the sandbox, the portal shows the error, and no such request reaches the server.
  const templateId = page.url().split("/").pop();
  const hostile = {
    fetch: `import React, { useEffect } from "react";
export default function Viz() {
  useEffect(() => { fetch("/api/templates?from=sandbox").then((r) => r.text()); }, []);
  return <p>trying fetch</p>;
}`,
    cookie: "export default function Viz() { return <p>{document.cookie}</p>; }",
    parent: "export default function Viz() { return <p>{window.parent.document.title}</p>; }",
    navigation: `import React, { useEffect } from "react";
export default function Viz() {
  useEffect(() => { window.location.href = "/static/manifest.json?from=sandbox-navigation"; }, []);
  return <p>leaving</p>;
}`,
  };
  for (const [name, code] of Object.entries(hostile)) {
    const created = await page.evaluate(
      async ([id, uiCode, label]) => {
        const boot = JSON.parse(document.getElementById("vizorch-boot").textContent);
        const source = await (await fetch(`/api/templates/${id}`)).json();
        const response = await fetch("/api/templates", {
          method: "POST",
          headers: { "Content-Type": "application/json", "X-CSRFToken": boot.csrfToken },
          body: JSON.stringify({
            title: `Smoke: hostile ${label}`,
            prompt: "hostile",
            generated_sql: source.generated_sql,
            ui_code: uiCode,
            parameters: source.parameters,
            data_source: source.data_source,
            data_url: source.data_url,
          }),
        });
        return response.ok ? (await response.json()).id : `HTTP ${response.status}: ${await response.text()}`;
      },
      [templateId, code, name],
    );
    const hostileStart = requests.length;
    await page.goto(`${base}/app/templates/${created}`);
    const shown = await page
      .getByTestId("render-error")
      .waitFor({ timeout: 10_000 })
      .then(
        async () => (await page.getByTestId("render-error").textContent()) ?? "",
        () => "",
      );
    check(
      `isolation: ${name} fails in the sandbox and the portal shows it`,
      shown.length > 0,
      shown.slice(0, 160),
    );
    if (name === "fetch") {
      await page.waitForTimeout(500);
      const leaked = requests.slice(hostileStart).filter((r) => r.url.includes("from=sandbox"));
      check("isolation: the sandbox's fetch never reached the server", leaked.length === 0);
      await page.screenshot({ path: join(outDir, "portal-isolation-error.png") });
    }
    await page.evaluate(async (id) => {
      const boot = JSON.parse(document.getElementById("vizorch-boot").textContent);
      await fetch(`/api/templates/${id}`, { method: "DELETE", headers: { "X-CSRFToken": boot.csrfToken } });
    }, created);
  }
  await page.goto(`${base}/app/templates/${templateId}`);
  await frame.locator(".recharts-bar-rectangle").first().waitFor({ timeout: 15_000 });

  // Versions: the save and the parameter update made two; restore the first.
  await page.getByTestId("template-versions").click();
  await page.getByTestId("version-row").first().waitFor({ timeout: 10_000 });
  const versionRows = await page.getByTestId("version-row").count();
  check("the version list shows every version", versionRows >= 2, `${versionRows} versions`);
  await page.getByTestId("version-restore").last().click();
  await page.getByTestId("version-row").first().waitFor({ state: "detached", timeout: 10_000 });
  const heading = (await page.getByTestId("template-view").textContent()) ?? "";
  check(
    "restoring a version makes a new one",
    new RegExp(`v${versionRows + 1}\\b`).test(heading),
    heading.slice(0, 120),
  );
  await frame.locator(".recharts-surface").first().waitFor({ timeout: 15_000 });

  // Export JSON downloads the template in the spec's format.
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByTestId("export-template").click(),
  ]);
  const exported = JSON.parse(readFileSync(await download.path(), "utf8"));
  const record = Array.isArray(exported) ? exported[0] : exported;
  check(
    "export JSON has the template format's fields",
    ["id", "prompt", "generated_sql", "ui_code", "parameters", "data_source", "data_url"].every(
      (k) => k in (record ?? {}),
    ),
    Object.keys(record ?? {}).join(","),
  );

  // Dark theme.
  await page.getByTestId("theme-toggle").click();
  await page.waitForTimeout(500);
  await page.screenshot({ path: join(outDir, "portal-template-dark.png") });
  await page.getByTestId("theme-toggle").click();

  // Share with the viewer, who then sees it read-only with working parameters.
  const viewerPassword = process.env.VIZORCH_VIEWER_PASSWORD;
  if (viewerPassword) {
    await page.getByTestId("share-template").click();
    await page.getByTestId("share-add").click();
    await page.getByTestId("share-name").fill("viewer");
    await page.getByTestId("share-submit").click();
    await page.getByTestId("share-submit").waitFor({ state: "detached" });
    const templateUrl = page.url();
    const viewer = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await viewer.goto(`${base}/login/`);
    await viewer.fill("input[name=username]", "viewer");
    await viewer.fill("input[name=password]", viewerPassword);
    await Promise.all([viewer.waitForURL(/\/(app\/templates)?$/), viewer.click("button[type=submit]")]);
    await viewer.getByTestId("template-card").first().waitFor({ timeout: 10_000 });
    check(
      "the viewer lands on the gallery without a prompt box",
      (await viewer.getByTestId("prompt-input").count()) === 0,
    );
    await viewer.goto(templateUrl);
    await viewer.getByTestId("read-only-badge").waitFor({ timeout: 10_000 });
    const vframe = viewer.frameLocator("[data-testid=sandbox-frame]");
    await vframe.locator(".recharts-bar-rectangle").first().waitFor({ timeout: 15_000 });
    await viewer.getByTestId("param-title").fill("Viewer's own title");
    await vframe
      .getByText("Viewer's own title")
      .first()
      .waitFor({ timeout: 3000 })
      .then(
        () => check("the viewer's parameters work on a read-only template", true),
        () => check("the viewer's parameters work on a read-only template", false),
      );
    check(
      "the viewer cannot save or share",
      (await viewer.getByTestId("save-params").count()) +
        (await viewer.getByTestId("share-template").count()) ===
        0,
    );
    await viewer.screenshot({ path: join(outDir, "portal-viewer-read-only.png") });
    await viewer.close();
  }

  // A curator publishes and features it; it shows under Featured.
  const curatorPassword = process.env.VIZORCH_CURATOR_PASSWORD;
  if (curatorPassword) {
    const templateUrl = page.url();
    const curator = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await curator.goto(`${base}/login/`);
    await curator.fill("input[name=username]", "curator");
    await curator.fill("input[name=password]", curatorPassword);
    await Promise.all([curator.waitForURL(`${base}/`), curator.click("button[type=submit]")]);
    await curator.goto(templateUrl);
    await curator.getByTestId("template-status").click();
    await curator.getByRole("option", { name: "published" }).click();
    await curator.getByText("Status: published.").waitFor({ timeout: 10_000 });
    await curator.getByTestId("template-feature").click();
    await curator.getByText("Featured.", { exact: true }).waitFor({ timeout: 10_000 });
    await curator.getByTestId("nav-templates").click();
    await curator.getByTestId("filter-featured").click();
    const featured = await curator
      .getByRole("button", { name: "Open Smoke: sales by region" })
      .first()
      .waitFor({ timeout: 10_000 })
      .then(
        () => true,
        () => false,
      );
    check("a curator publishes and features a template", featured);
    await curator.screenshot({ path: join(outDir, "portal-gallery-featured.png") });
    await curator.close();
  }

  // Back to the conversation: it is restored from the server, and a follow-up refines the chart.
  await page.getByTestId("nav-workspace").click();
  await page.getByTestId("run").first().waitFor({ timeout: 10_000 });
  await page
    .frameLocator("[data-testid=sandbox-frame]")
    .locator(".recharts-surface")
    .first()
    .waitFor({ timeout: 15_000 });
  check("the conversation is restored", (await page.getByTestId("run").count()) >= 1);
  // A follow-up refines the artifact; its controls are disabled while it streams.
  await page.getByTestId("prompt-input").fill("Make it a line chart");
  await page.getByTestId("prompt-input").press("Enter");
  const disabledWhileGenerating = await page
    .locator("[data-testid=params-panel] fieldset:disabled")
    .waitFor({ timeout: 2000 })
    .then(
      () => true,
      () => false,
    );
  check("controls are disabled while generating", disabledWhileGenerating);
  await page
    .locator("[data-testid=run]")
    .nth(1)
    .and(page.locator("[data-status=complete], [data-status=error]"))
    .waitFor({ timeout: 60_000 });
  check(
    "controls are enabled after the run",
    await page.locator("[data-testid=params-panel] fieldset").isEnabled(),
  );
  await page.waitForTimeout(800);
  await page.screenshot({ path: join(outDir, "portal-follow-up.png") });

  // 4. Stop cancels a run.
  await page.getByTestId("new-chat").click();
  await page.getByTestId("prompt-input").fill("Show monthly revenue by product category");
  await page.getByTestId("prompt-input").press("Enter");
  await page
    .getByTestId("stop-button")
    .click({ timeout: 5000 })
    .catch(() => undefined);
  await page
    .locator("[data-testid=run][data-status=cancelled], [data-testid=run][data-status=complete]")
    .first()
    .waitFor({ timeout: 20_000 });
  const stopped = await page.getByTestId("run").first().getAttribute("data-status");
  check("Stop cancels the run", stopped === "cancelled", stopped ?? "");

  // 5. A dropped stream resumes from /api/runs/{id}/events with Last-Event-ID, without duplicates:
  //    the real response is cut after three events and half of the fourth.
  await page.route("**/api/chat", async (route) => {
    const response = await route.fetch();
    const events = (await response.text()).split("\n\n");
    const cut = `${events.slice(0, 3).join("\n\n")}\n\n${(events[3] ?? "").slice(0, 20)}`;
    await route.fulfill({ status: response.status(), headers: response.headers(), body: cut });
  });
  await page.getByTestId("new-chat").click();
  const resumeStart = requests.length;
  await page.getByTestId("prompt-input").fill("Show total sales by region");
  await page.getByTestId("prompt-input").press("Enter");
  await page
    .locator("[data-testid=run][data-status=complete], [data-testid=run][data-status=error]")
    .first()
    .waitFor({ timeout: 60_000 });
  await page.unroute("**/api/chat");
  const resumed = requests.slice(resumeStart).filter((r) => /\/api\/runs\/[^/]+\/events/.test(r.url));
  const thoughts = (await page.getByTestId("run-thoughts").first().textContent()) ?? "";
  const first = thoughts.slice(0, 20);
  check(
    "a dropped stream resumes and completes",
    resumed.length > 0 && (await page.getByTestId("run").first().getAttribute("data-status")) === "complete",
  );
  check(
    "the resumed stream shows no duplicate",
    first.length > 0 && thoughts.indexOf(first) === thoughts.lastIndexOf(first),
    thoughts,
  );
  check("no uncaught page errors", errors.length === 0, errors.join(" | "));
  console.log(
    `console errors (informational): ${consoleErrors.length}\n  ${consoleErrors.slice(0, 10).join("\n  ")}`,
  );
} finally {
  await browser.close();
}
const failed = checks.filter((ok) => !ok).length;
console.log(`${checks.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
