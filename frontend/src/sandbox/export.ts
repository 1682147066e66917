// Exports the rendered chart as SVG or PNG. The sandbox cannot download (no allow-downloads), so it
// hands the file back to the host as a Blob.

function largestSvg(root: HTMLElement): SVGSVGElement | null {
  let best: SVGSVGElement | null = null;
  let bestArea = 0;
  for (const svg of root.querySelectorAll("svg")) {
    const rect = svg.getBoundingClientRect();
    const area = rect.width * rect.height;
    if (area > bestArea) {
      best = svg;
      bestArea = area;
    }
  }
  return best;
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

function serialize(svg: SVGSVGElement, background: string): { text: string; width: number; height: number } {
  const rect = svg.getBoundingClientRect();
  const width = Math.max(1, Math.round(rect.width));
  const height = Math.max(1, Math.round(rect.height));
  const clone = svg.cloneNode(true) as SVGSVGElement;
  stripExternalReferences(clone);
  clone.setAttribute("xmlns", "http://www.w3.org/2000/svg");
  clone.setAttribute("width", String(width));
  clone.setAttribute("height", String(height));
  clone.setAttribute("viewBox", `0 0 ${width} ${height}`);
  const style = getComputedStyle(svg);
  clone.setAttribute("font-family", style.fontFamily || "sans-serif");
  clone.setAttribute("font-size", style.fontSize || "12px");
  const bg = document.createElementNS("http://www.w3.org/2000/svg", "rect");
  bg.setAttribute("width", "100%");
  bg.setAttribute("height", "100%");
  bg.setAttribute("fill", background);
  clone.insertBefore(bg, clone.firstChild);
  return { text: new XMLSerializer().serializeToString(clone), width, height };
}

export async function exportChart(root: HTMLElement, format: "svg" | "png"): Promise<Blob> {
  const svg = largestSvg(root);
  if (!svg) throw new Error("Nothing to export: this view has no chart.");
  const background = getComputedStyle(document.body).backgroundColor || "#ffffff";
  const { text, width, height } = serialize(svg, background);
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
