// The template gallery: mine / shared with me / featured, search, export.
import {
  AreaChart,
  BarChart3,
  Download,
  Gauge,
  LayoutGrid,
  LineChart,
  PieChart,
  ScatterChart,
  Search,
  Star,
  Table2,
} from "lucide-react";
import { useEffect, useState } from "react";
import { ThumbnailMaker } from "@/components/templates/ThumbnailMaker";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Tabs, TabsList, TabsTrigger } from "@/components/ui/tabs";
import { api, type TemplateFilter } from "@/lib/api";
import type { Template } from "@/lib/api-schemas";
import { type Boot, hasRole } from "@/lib/boot";
import { getColors } from "@/lib/color-schemes";
import { useDebouncedValue } from "@/lib/debounce";
import { downloadBlob } from "@/lib/download";
import type { Route } from "@/lib/router";
import { splitParameters } from "@/lib/templates";

const ICONS = {
  bar: BarChart3,
  line: LineChart,
  area: AreaChart,
  pie: PieChart,
  scatter: ScatterChart,
  table: Table2,
  kpi: Gauge,
  multiples: LayoutGrid,
};

function Thumbnail({ template }: { template: Template }) {
  if (template.thumbnail_url) {
    return (
      <img
        src={template.thumbnail_url}
        alt={`Chart: ${template.title}`}
        data-testid="template-thumbnail"
        className="h-24 w-full rounded-md border bg-background object-cover object-top"
        loading="lazy"
      />
    );
  }
  return <Placeholder template={template} />;
}

function Placeholder({ template }: { template: Template }) {
  const { values } = splitParameters(template.parameters);
  const type = typeof values.chart_type === "string" ? values.chart_type : "table";
  const Icon = ICONS[type as keyof typeof ICONS] ?? BarChart3;
  const colors = getColors(typeof values.color_scheme === "string" ? values.color_scheme : "default");
  return (
    <div
      className="flex h-24 items-end justify-between gap-1 rounded-md bg-muted/60 p-3"
      aria-hidden="true"
      style={{ background: `linear-gradient(135deg, ${colors[0]}22, ${colors[2] ?? colors[0]}11)` }}
    >
      <Icon className="h-10 w-10" style={{ color: colors[0] }} />
      <div className="flex items-end gap-1">
        {[0.5, 0.8, 0.35, 1, 0.65].map((h, i) => (
          <span
            key={h}
            className="w-2 rounded-sm"
            style={{ height: `${h * 56}px`, background: colors[i % colors.length] }}
          />
        ))}
      </div>
    </div>
  );
}

export function TemplatesPage({ boot, navigate }: { boot: Boot; navigate: (route: Route) => void }) {
  const viewerOnly = !hasRole(boot, "Analyst") && !hasRole(boot, "Curator");
  // Everyone starts on "All": for a viewer that is every published template plus those shared
  // with them, so nothing they may open is hidden behind a tab.
  const [filter, setFilter] = useState<TemplateFilter>("all");
  const [query, setQuery] = useState("");
  const isCurator = hasRole(boot, "Curator");
  const [status, setStatus] = useState<"any" | "draft" | "published" | "archived">("any");
  const q = useDebouncedValue(query, 300);
  const [items, setItems] = useState<Template[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [page, setPage] = useState(1);
  const [pages, setPages] = useState(1);
  const [reload, setReload] = useState(0);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `reload` re-runs the query on purpose
  useEffect(() => {
    let cancelled = false;
    setError(null);
    api.listTemplates({ q, filter, page, ...(status !== "any" ? { status } : {}) }).then(
      (list) => {
        if (cancelled) return;
        setItems(list.items);
        setPages(list.pages);
      },
      (e: Error) => !cancelled && setError(e.message),
    );
    return () => {
      cancelled = true;
    };
  }, [q, filter, page, status, reload]);

  const exportShown = async () => {
    if (!items?.length) return;
    try {
      downloadBlob(await api.exportTemplates(items.map((t) => t.id)), "vizorch-templates.json");
    } catch (e) {
      setError((e as Error).message);
    }
  };

  const toggleFeatured = async (template: Template) => {
    try {
      await api.updateTemplate(template.id, { version: template.version, featured: !template.featured });
      setReload((n) => n + 1);
    } catch (e) {
      setError((e as Error).message);
    }
  };

  return (
    <div className="mx-auto flex h-full max-w-6xl flex-col gap-4 overflow-y-auto p-4">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h1 className="text-xl font-semibold">Templates</h1>
        <div className="flex flex-wrap items-center gap-2">
          <Tabs
            value={filter}
            onValueChange={(v) => {
              setFilter(v as TemplateFilter);
              setPage(1);
            }}
          >
            <TabsList aria-label="Template filter">
              <TabsTrigger value="all" data-testid="filter-all" aria-controls="template-grid">
                All
              </TabsTrigger>
              {viewerOnly ? null : (
                <TabsTrigger value="mine" data-testid="filter-mine" aria-controls="template-grid">
                  Mine
                </TabsTrigger>
              )}
              <TabsTrigger value="shared" data-testid="filter-shared" aria-controls="template-grid">
                Shared with me
              </TabsTrigger>
              <TabsTrigger value="featured" data-testid="filter-featured" aria-controls="template-grid">
                Featured
              </TabsTrigger>
            </TabsList>
          </Tabs>
          {isCurator ? (
            <Select
              value={status}
              onValueChange={(v) => {
                setStatus(v as typeof status);
                setPage(1);
              }}
            >
              <SelectTrigger className="w-36" aria-label="Status filter" data-testid="status-filter">
                <SelectValue />
              </SelectTrigger>
              <SelectContent>
                <SelectItem value="any">Any status</SelectItem>
                <SelectItem value="draft">Draft</SelectItem>
                <SelectItem value="published">Published</SelectItem>
                <SelectItem value="archived">Archived</SelectItem>
              </SelectContent>
            </Select>
          ) : null}
          <div className="relative">
            <Search className="absolute left-2 top-2.5 h-4 w-4 text-muted-foreground" />
            <Input
              aria-label="Search templates"
              data-testid="template-search"
              placeholder="Search…"
              className="w-56 pl-8"
              value={query}
              onChange={(e) => {
                setQuery(e.target.value);
                setPage(1);
              }}
            />
          </div>
          <Button
            variant="outline"
            size="sm"
            onClick={exportShown}
            disabled={!items?.length}
            data-testid="export-templates"
          >
            <Download /> Export JSON
          </Button>
        </div>
      </div>
      {error ? (
        <p role="alert" className="text-sm text-destructive">
          {error}
        </p>
      ) : null}
      {items === null && !error ? <p className="text-sm text-muted-foreground">Loading…</p> : null}
      {items?.length === 0 ? (
        <p className="text-sm text-muted-foreground" data-testid="templates-empty">
          No templates here yet.
        </p>
      ) : null}
      {/* One list for every filter: the filter tabs control it (they have no panels of their own). */}
      <ul
        id="template-grid"
        className="grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-3"
        data-testid="template-grid"
      >
        {items?.map((t) => (
          <li key={t.id}>
            <Card
              className="relative h-full transition-shadow hover:shadow-md"
              data-testid="template-card"
              data-template-id={t.id}
            >
              {/* The title is the card's one button (named "Open <title>"); its overlay makes the
                  whole card clickable. */}
              <div>
                <CardHeader>
                  <Thumbnail template={t} />
                  <CardTitle className="mt-2 flex items-center gap-1 text-base">
                    {t.featured ? (
                      <Star className="h-4 w-4 fill-yellow-400 text-yellow-500" aria-label="Featured" />
                    ) : null}
                    <button
                      type="button"
                      className="truncate text-left after:absolute after:inset-0 after:content-['']"
                      onClick={() => navigate({ name: "template", id: t.id })}
                    >
                      <span className="sr-only">Open </span>
                      {t.title || "Untitled"}
                    </button>
                  </CardTitle>
                </CardHeader>
                <CardContent className="flex flex-col gap-2 text-sm">
                  {t.description ? (
                    <p className="line-clamp-2 text-muted-foreground">{t.description}</p>
                  ) : null}
                  <div className="flex flex-wrap gap-1">
                    {t.tags.map((tag) => (
                      <Badge key={tag} variant="secondary">
                        {tag}
                      </Badge>
                    ))}
                    {t.status ? <Badge variant="outline">{t.status}</Badge> : null}
                    {!t.can_edit ? <Badge variant="outline">read-only</Badge> : null}
                  </div>
                  <p className="text-xs text-muted-foreground">
                    {[t.owner, t.version ? `v${t.version}` : null].filter(Boolean).join(" · ")}
                  </p>
                </CardContent>
              </div>
              {t.can_curate ? (
                <div className="relative z-10 px-4 pb-3">
                  <Button
                    variant="ghost"
                    size="sm"
                    onClick={() => toggleFeatured(t)}
                    data-testid="toggle-featured"
                  >
                    <Star /> {t.featured ? "Unfeature" : "Feature"}
                  </Button>
                </div>
              ) : null}
            </Card>
          </li>
        ))}
      </ul>
      {items ? <ThumbnailMaker templates={items} onMade={() => setReload((n) => n + 1)} /> : null}
      {pages > 1 ? (
        <div className="flex items-center justify-center gap-2">
          <Button variant="outline" size="sm" disabled={page <= 1} onClick={() => setPage((p) => p - 1)}>
            Previous
          </Button>
          <span className="text-sm text-muted-foreground">
            Page {page} of {pages}
          </span>
          <Button variant="outline" size="sm" disabled={page >= pages} onClick={() => setPage((p) => p + 1)}>
            Next
          </Button>
        </div>
      ) : null}
    </div>
  );
}
