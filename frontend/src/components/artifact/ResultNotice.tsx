// What the portal says about the stored result beside the chart: that the engine's row limit cut
// it, and where the rows download as CSV or Parquet (served by the API, not rebuilt here).
import { AlertTriangle, Download } from "lucide-react";
import { Button } from "@/components/ui/button";
import { downloadUrl, type ResultExtent } from "@/lib/data";
import { slugify } from "@/lib/download";

export function TruncationNotice({ extent }: { extent: ResultExtent | null }) {
  if (!extent?.truncated) return null;
  const kept =
    extent.rowCount === null ? "the rows kept" : `the first ${extent.rowCount.toLocaleString("en-US")}`;
  return (
    <div
      role="status"
      data-testid="truncation-notice"
      className="mt-2 flex items-start gap-2 rounded-md border border-amber-500/50 bg-amber-500/10 p-2 text-sm"
    >
      <AlertTriangle className="mt-0.5 h-4 w-4 shrink-0 text-amber-600" />
      <span>
        Showing {kept} of more rows: the result reached the row limit, so the chart and the table leave the
        rest out. Ask a narrower question (a filter, a coarser time grain) to see it all; the rows kept
        download as CSV or Parquet.
      </span>
    </div>
  );
}

export function DataDownloads({ dataUrl, title }: { dataUrl: string | null; title: string }) {
  if (!dataUrl) return null;
  const name = slugify(title);
  return (
    <>
      <Button variant="outline" size="sm" asChild>
        <a href={downloadUrl(dataUrl, "csv", name)} download={`${name}.csv`} data-testid="download-csv">
          <Download /> CSV
        </a>
      </Button>
      <Button variant="outline" size="sm" asChild>
        <a
          href={downloadUrl(dataUrl, "parquet", name)}
          download={`${name}.parquet`}
          data-testid="download-parquet"
        >
          <Download /> Parquet
        </a>
      </Button>
    </>
  );
}
