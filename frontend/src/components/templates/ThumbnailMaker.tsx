// Draws the picture a template card shows: the template's own component, rendered in the portal's
// one sandbox frame (the server never runs components), exported as PNG once it has settled and
// stored with the template's current version. One template at a time: the templates queue through
// that frame, which the gallery does not otherwise use. The slot is transparent, not off screen, so
// the browser does not throttle the frame's drawing.
import { useEffect, useRef, useState } from "react";
import { type SandboxHandle, SandboxSlot } from "@/components/artifact/SandboxSlot";
import { api } from "@/lib/api";
import type { Template } from "@/lib/api-schemas";
import { type LoadedData, loadData } from "@/lib/data";
import { artifactFromTemplate } from "@/lib/templates";

const WIDTH = 640;
const HEIGHT = 400;

function needsPicture(template: Template): boolean {
  return !template.thumbnail_current && Boolean(template.data_url && template.ui_code);
}

export function ThumbnailMaker({
  templates,
  onMade,
}: {
  templates: Template[];
  onMade: (template: Template) => void;
}) {
  // Templates tried once in this page's life: a chart that fails is not retried in a loop.
  const [tried, setTried] = useState<Set<string>>(() => new Set());
  const next = templates.find((t) => needsPicture(t) && !tried.has(t.id));
  if (!next) return null;
  return (
    <OnePicture
      key={next.id}
      template={next}
      onDone={(made) => {
        setTried((prev) => new Set(prev).add(next.id));
        if (made) onMade(next);
      }}
    />
  );
}

function OnePicture({ template, onDone }: { template: Template; onDone: (made: boolean) => void }) {
  const artifact = artifactFromTemplate(template);
  const [data, setData] = useState<LoadedData | null>(null);
  const [params] = useState(() => artifact.currentParams ?? {});
  const frame = useRef<SandboxHandle>(null);
  const done = useRef(false);
  const finish = useRef(onDone);
  finish.current = onDone;
  const { dataUrl, dataFormat } = artifact;

  useEffect(() => {
    if (!dataUrl) return;
    const abort = new AbortController();
    loadData(dataUrl, dataFormat ?? "auto", abort.signal).then(setData, () => {
      if (!abort.signal.aborted) finish.current(false);
    });
    return () => abort.abort();
  }, [dataUrl, dataFormat]);

  const once = (made: boolean) => {
    if (done.current) return;
    done.current = true;
    finish.current(made);
  };

  return (
    <div
      aria-hidden="true"
      data-testid="thumbnail-maker"
      data-template-id={template.id}
      style={{
        position: "fixed",
        right: 0,
        bottom: 0,
        width: WIDTH,
        height: HEIGHT,
        opacity: 0,
        pointerEvents: "none",
        zIndex: -1,
      }}
    >
      <SandboxSlot
        ref={frame}
        transparent
        code={artifact.generatedCode ?? ""}
        params={params}
        data={data}
        theme="light"
        onError={() => once(false)}
        onRendered={() => {
          const handle = frame.current;
          if (!handle) return;
          handle
            .exportChart("png")
            .then((blob) => api.putThumbnail(template.id, blob))
            .then(
              () => once(true),
              () => once(false),
            );
        }}
      />
    </div>
  );
}
