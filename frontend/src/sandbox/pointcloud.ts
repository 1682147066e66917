// The kit's canvas scatter plot (PointCloud): uPlot in its scatter mode, one filled square per
// point. A module of its own so that uPlot loads only with the first large scatter plot.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface PointCloudOptions {
  x: Float64Array;
  y: Float64Array;
  color: string;
  pointSize: number;
  xLabels: (splits: number[]) => string[];
  yLabels: (splits: number[]) => string[];
  xTitle: string;
  yTitle: string;
}

/** Draws the points into `el` (sized like it, and again when it resizes); returns the cleanup. */
export function drawPointCloud(el: HTMLElement, options: PointCloudOptions): () => void {
  const { x, y, color, pointSize } = options;
  const ink = getComputedStyle(el).color;
  const grid = { stroke: "rgba(128,128,128,0.2)", width: 1 };
  const axis = (labels: (splits: number[]) => string[], title: string): uPlot.Axis => ({
    ...(title ? { label: title } : {}),
    stroke: ink,
    grid,
    ticks: grid,
    values: (_u, splits) => labels(splits),
  });
  const paths: uPlot.Series.PathBuilder = (u, seriesIdx) => {
    uPlot.orient(
      u,
      seriesIdx,
      (_s, _dx, _dy, scaleX, scaleY, valToPosX, valToPosY, xOff, yOff, xDim, yDim) => {
        const ctx = u.ctx;
        const size = pointSize * devicePixelRatio;
        ctx.save();
        ctx.fillStyle = color;
        ctx.globalAlpha = 0.6;
        for (let i = 0; i < x.length; i++) {
          const px = valToPosX(x[i] as number, scaleX, xDim, xOff);
          const py = valToPosY(y[i] as number, scaleY, yDim, yOff);
          ctx.fillRect(px - size / 2, py - size / 2, size, size);
        }
        ctx.restore();
      },
    );
    return null;
  };
  const size = () => ({ width: Math.max(100, el.clientWidth), height: Math.max(100, el.clientHeight) });
  const plot = new uPlot(
    {
      ...size(),
      mode: 2,
      legend: { show: false },
      cursor: { show: false },
      scales: { x: { time: false } },
      axes: [axis(options.xLabels, options.xTitle), axis(options.yLabels, options.yTitle)],
      series: [{}, { stroke: color, paths }],
    },
    [null, [x, y]] as unknown as uPlot.AlignedData,
    el,
  );
  const observer =
    typeof ResizeObserver === "undefined" ? null : new ResizeObserver(() => plot.setSize(size()));
  observer?.observe(el);
  return () => {
    observer?.disconnect();
    plot.destroy();
  };
}
