// Exports the rendered chart as SVG or PNG, with its title, caption and legend (or the panels of
// small multiples, each with its title), once it has settled.
// The sandbox cannot download (no allow-downloads), so it hands the file back to the host as a Blob.
// A Recharts chart is copied as SVG; a canvas chart (the kit's PointCloud) goes in as an embedded
// image of its pixels, so its SVG file holds the title and legend as text and the plot as a picture.

type ChartElement = SVGSVGElement | HTMLCanvasElement;

function largest<T extends Element>(root: HTMLElement, selector: string): T | null {
  let best: T | null = null;
  let bestArea = 0;
  for (const chart of root.querySelectorAll<T>(selector)) {
    const rect = chart.getBoundingClientRect();
    const area = rect.width * rect.height;
    if (area > bestArea) {
      best = chart;
      bestArea = area;
    }
  }
  return best;
}

function largestSvg(root: HTMLElement): SVGSVGElement | null {
  return largest<SVGSVGElement>(root, "svg");
}

/** The chart: the largest SVG (Recharts) or canvas (the kit's PointCloud) of the view. */
function largestChart(root: HTMLElement): ChartElement | null {
  return largest<ChartElement>(root, "svg, canvas");
}

const LINKING = new Set(["href", "xlink:href", "src"]);
const EXTERNAL_URL = /url\(\s*['"]?(?!#|data:)/i;

/**
 * Removes what would load from elsewhere when the exported file is opened outside the sandbox
 * (where no CSP holds): links and image sources that are not `#fragments` or `data:` URLs,
 * `url()`s to other documents, event handler attributes. Recharts' own `url(#clip)` stay.
 */
export function stripExternalReferences(root: Element): void {
  for (const element of [root, ...root.querySelectorAll("*")]) {
    for (const attribute of [...element.attributes]) {
      const name = attribute.name.toLowerCase();
      const value = attribute.value.trim();
      const linking = LINKING.has(name) && !value.startsWith("#") && !value.startsWith("data:");
      if (linking || name.startsWith("on") || EXTERNAL_URL.test(value))
        element.removeAttributeNode(attribute);
    }
  }
}

const SVG_NS = "http://www.w3.org/2000/svg";
const PAD = 16;
const TITLE_SIZE = 16;
const CAPTION_SIZE = 12;
const PANEL_TITLE_SIZE = 13;
const LEGEND_ROW = 20;
const SETTLE_POLL_MS = 40;
const SETTLE_POLLS = 6;
const SETTLE_MAX_MS = 4000;

function shapeOf(root: HTMLElement): string {
  const parts: string[] = [];
  for (const el of root.querySelectorAll("svg path, svg rect, svg circle, svg text, svg line")) {
    parts.push(
      `${el.getAttribute("d") ?? ""};${el.getAttribute("x") ?? ""};${el.getAttribute("y") ?? ""};` +
        `${el.getAttribute("width") ?? ""};${el.getAttribute("height") ?? ""};${el.getAttribute("r") ?? ""};` +
        `${el.getAttribute("transform") ?? ""};${el.getAttribute("stroke-dasharray") ?? ""};${el.textContent ?? ""}`,
    );
  }
  // A canvas (the kit's PointCloud) is drawn in one go once it has its size.
  for (const canvas of root.querySelectorAll("canvas")) parts.push(`canvas:${canvas.width}x${canvas.height}`);
  return parts.join("|");
}

/**
 * Resolves once the rendered chart has stopped changing: no shape moved for SETTLE_POLLS polls
 * (entry animations, a re-render for new params, a resize), or after SETTLE_MAX_MS.
 */
export function chartSettled(root: HTMLElement): Promise<void> {
  return new Promise((resolve) => {
    const started = performance.now();
    let last = "";
    let stable = -1;
    const poll = () => {
      const now = shapeOf(root);
      stable = now === last && now !== "" ? stable + 1 : 0;
      last = now;
      if (stable >= SETTLE_POLLS || performance.now() - started > SETTLE_MAX_MS) resolve();
      else setTimeout(poll, SETTLE_POLL_MS);
    };
    setTimeout(poll, SETTLE_POLL_MS);
  });
}

interface LegendEntry {
  label: string;
  color: string;
}

/** The chart's legend, which Recharts draws in HTML beside the SVG: each item's text and colour. */
function legendOf(root: HTMLElement): LegendEntry[] {
  const entries: LegendEntry[] = [];
  for (const item of root.querySelectorAll(".recharts-legend-item")) {
    const label = (
      item.querySelector(".recharts-legend-item-text")?.textContent ??
      item.textContent ??
      ""
    ).trim();
    const icon = item.querySelector("svg path, svg rect, svg circle, svg line");
    const color =
      icon?.getAttribute("fill") && icon.getAttribute("fill") !== "none"
        ? (icon.getAttribute("fill") as string)
        : (icon?.getAttribute("stroke") ?? "#888888");
    if (label) entries.push({ label, color });
  }
  return entries;
}

function textOf(root: HTMLElement, selector: string): { text: string; color: string } | null {
  const el = root.querySelector(selector);
  const text = el?.textContent?.trim();
  if (!el || !text) return null;
  return { text, color: getComputedStyle(el).color || "#111111" };
}

function svgText(
  text: string,
  x: number,
  y: number,
  size: number,
  color: string,
  weight = 400,
): SVGTextElement {
  const node = document.createElementNS(SVG_NS, "text");
  node.setAttribute("x", String(x));
  node.setAttribute("y", String(y));
  node.setAttribute("font-size", String(size));
  node.setAttribute("font-weight", String(weight));
  node.setAttribute("fill", color);
  node.textContent = text;
  return node;
}

/** Rough text width for laying out legend items (the export has no layout engine). */
function textWidth(text: string, size: number): number {
  return text.length * size * 0.6;
}

/** The exported file's root: its fonts, its background and, once laid out, its size. */
function outline(svg: ChartElement, background: string): SVGSVGElement {
  const out = document.createElementNS(SVG_NS, "svg");
  const style = getComputedStyle(svg);
  out.setAttribute("xmlns", SVG_NS);
  out.setAttribute("font-family", style.fontFamily || "sans-serif");
  out.setAttribute("font-size", style.fontSize || "12px");
  const bg = document.createElementNS(SVG_NS, "rect");
  bg.setAttribute("width", "100%");
  bg.setAttribute("height", "100%");
  bg.setAttribute("fill", background);
  out.appendChild(bg);
  return out;
}

/** The title and caption at the top of `out`; the height they take. */
function heading(out: SVGSVGElement, root: HTMLElement, fallbackTitle: string): number {
  const bodyColor = getComputedStyle(document.body).color || "#111111";
  const title =
    textOf(root, "h1, h2, h3, h4") ?? (fallbackTitle ? { text: fallbackTitle, color: bodyColor } : null);
  const caption = textOf(root, "[data-vz-caption]");
  let y = PAD;
  if (title) {
    out.appendChild(svgText(title.text, PAD, y + TITLE_SIZE, TITLE_SIZE, title.color, 600));
    y += TITLE_SIZE + 10;
  }
  if (caption) {
    out.appendChild(svgText(caption.text, PAD, y + CAPTION_SIZE, CAPTION_SIZE, caption.color));
    y += CAPTION_SIZE + 8;
  }
  return y;
}

/** A copy of a chart's SVG that stands alone at (x, y), external references removed. */
function placed(svg: SVGSVGElement, x: number, y: number): SVGSVGElement {
  const rect = svg.getBoundingClientRect();
  const width = Math.max(1, Math.round(rect.width));
  const height = Math.max(1, Math.round(rect.height));
  const chart = svg.cloneNode(true) as SVGSVGElement;
  stripExternalReferences(chart);
  chart.removeAttribute("class");
  chart.removeAttribute("style");
  chart.setAttribute("x", String(Math.round(x)));
  chart.setAttribute("y", String(Math.round(y)));
  chart.setAttribute("width", String(width));
  chart.setAttribute("height", String(height));
  chart.setAttribute("viewBox", `0 0 ${width} ${height}`);
  chart.setAttribute("overflow", "visible");
  return chart;
}

/** A canvas chart (the kit's PointCloud: axes, labels and points are pixels) as an image of the
 * picture at (x, y), at the canvas's own resolution, embedded as a `data:` URL: the file loads
 * nothing. */
function canvasImage(canvas: HTMLCanvasElement, x: number, y: number): SVGImageElement {
  const rect = canvas.getBoundingClientRect();
  const image = document.createElementNS(SVG_NS, "image");
  image.setAttribute("href", canvas.toDataURL("image/png"));
  image.setAttribute("preserveAspectRatio", "none");
  image.setAttribute("x", String(Math.round(x)));
  image.setAttribute("y", String(Math.round(y)));
  image.setAttribute("width", String(Math.max(1, Math.round(rect.width))));
  image.setAttribute("height", String(Math.max(1, Math.round(rect.height))));
  return image;
}

function finish(out: SVGSVGElement, width: number, height: number) {
  const h = Math.round(height);
  out.setAttribute("width", String(width));
  out.setAttribute("height", String(h));
  out.setAttribute("viewBox", `0 0 ${width} ${h}`);
  return { text: new XMLSerializer().serializeToString(out), width, height: h };
}

/**
 * One SVG that stands alone: the title and caption above the chart, the chart with room around
 * it (labels that overflow the plot are kept, not clipped), and the legend below it.
 */
function compose(
  root: HTMLElement,
  svg: ChartElement,
  background: string,
  fallbackTitle: string,
): { text: string; width: number; height: number } {
  const rect = svg.getBoundingClientRect();
  const chartWidth = Math.max(1, Math.round(rect.width));
  const chartHeight = Math.max(1, Math.round(rect.height));
  const width = chartWidth + 2 * PAD;
  const bodyColor = getComputedStyle(document.body).color || "#111111";
  const wrapper = svg.closest(".recharts-wrapper");
  const legend = legendOf(wrapper instanceof HTMLElement ? wrapper : root);

  const out = outline(svg, background);
  let y = heading(out, root, fallbackTitle);
  out.appendChild(svg instanceof HTMLCanvasElement ? canvasImage(svg, PAD, y) : placed(svg, PAD, y));
  y += chartHeight + 8;

  if (legend.length > 0) {
    const group = document.createElementNS(SVG_NS, "g");
    group.setAttribute("data-legend", "");
    let x = PAD;
    y += 4;
    for (const entry of legend) {
      const itemWidth = 18 + textWidth(entry.label, 12) + 16;
      if (x + itemWidth > width - PAD && x > PAD) {
        x = PAD;
        y += LEGEND_ROW;
      }
      const swatch = document.createElementNS(SVG_NS, "rect");
      swatch.setAttribute("x", String(x));
      swatch.setAttribute("y", String(y));
      swatch.setAttribute("width", "12");
      swatch.setAttribute("height", "12");
      swatch.setAttribute("rx", "2");
      swatch.setAttribute("fill", entry.color);
      group.appendChild(swatch);
      group.appendChild(svgText(entry.label, x + 18, y + 10, 12, bodyColor));
      x += itemWidth;
    }
    out.appendChild(group);
    y += LEGEND_ROW;
  }
  return finish(out, width, y + PAD);
}

/**
 * Small multiples (the kit's SmallMultiples) as they are laid out on screen: the title and
 * caption, then every panel's title and chart where the grid puts them.
 */
function composePanels(
  root: HTMLElement,
  grid: HTMLElement,
  panels: HTMLElement[],
  svg: ChartElement,
  background: string,
  fallbackTitle: string,
): { text: string; width: number; height: number } {
  const box = grid.getBoundingClientRect();
  const out = outline(svg, background);
  const top = heading(out, root, fallbackTitle);
  let bottom = top;
  for (const panel of panels) {
    const chart = largestSvg(panel);
    const title = textOf(panel, "[data-vz-panel-title]");
    const rect = panel.getBoundingClientRect();
    const x = PAD + rect.left - box.left;
    const y = top + rect.top - box.top;
    if (title) {
      const size = PANEL_TITLE_SIZE;
      const fits = Math.max(4, Math.floor(rect.width / (size * 0.6)));
      const text = title.text.length > fits ? `${title.text.slice(0, fits - 1)}\u2026` : title.text;
      out.appendChild(svgText(text, x + 4, y + size, size, title.color, 600));
    }
    if (chart) {
      const at = chart.getBoundingClientRect();
      out.appendChild(placed(chart, x + at.left - rect.left, y + at.top - rect.top));
    }
    bottom = Math.max(bottom, y + rect.height);
  }
  return finish(out, Math.round(box.width) + 2 * PAD, bottom + PAD);
}

/**
 * The chart as a file that stands alone, taken once it has settled: SVG, or PNG at twice the size.
 * `fallbackTitle` (the params' title) is used when the component shows no heading.
 */
export async function exportChart(
  root: HTMLElement,
  format: "svg" | "png",
  fallbackTitle = "",
): Promise<Blob> {
  await chartSettled(root);
  const svg = largestChart(root);
  if (!svg) throw new Error("Nothing to export: this view has no chart.");
  const background = getComputedStyle(document.body).backgroundColor || "#ffffff";
  const grid = root.querySelector("[data-vz-multiples]");
  const panels = grid ? [...grid.querySelectorAll<HTMLElement>("[data-vz-panel]")] : [];
  const { text, width, height } =
    grid instanceof HTMLElement && panels.length > 0
      ? composePanels(root, grid, panels, svg, background, fallbackTitle)
      : compose(root, svg, background, fallbackTitle);
  const svgBlob = new Blob([text], { type: "image/svg+xml;charset=utf-8" });
  if (format === "svg") return svgBlob;
  const url = URL.createObjectURL(svgBlob);
  try {
    const image = new Image();
    await new Promise<void>((resolve, reject) => {
      image.onload = () => resolve();
      image.onerror = () => reject(new Error("The chart could not be drawn as an image."));
      image.src = url;
    });
    const scale = 2;
    const canvas = document.createElement("canvas");
    canvas.width = width * scale;
    canvas.height = height * scale;
    const ctx = canvas.getContext("2d");
    if (!ctx) throw new Error("No canvas available.");
    ctx.scale(scale, scale);
    ctx.drawImage(image, 0, 0, width, height);
    return await new Promise<Blob>((resolve, reject) =>
      canvas.toBlob(
        (blob) => (blob ? resolve(blob) : reject(new Error("PNG encoding failed."))),
        "image/png",
      ),
    );
  } finally {
    URL.revokeObjectURL(url);
  }
}
