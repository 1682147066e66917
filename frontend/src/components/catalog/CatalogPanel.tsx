// The selected engine's semantic catalog beside the chat: tables with their columns (readable
// name, role, type, description), then the named metrics. A search filters all three; clicking
// a column or a metric puts its name into the prompt.
import { ChevronRight, Search, Sigma, Table2, X } from "lucide-react";
import { useMemo, useState } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Collapsible, CollapsibleContent, CollapsibleTrigger } from "@/components/ui/collapsible";
import { Input } from "@/components/ui/input";
import type { CatalogColumn, CatalogMetric, CatalogTable, EngineCatalog } from "@/lib/api-schemas";
import { filterCatalog } from "@/lib/catalog-search";
import { cn } from "@/lib/utils";

const ROLE_STYLES: Record<CatalogColumn["role"], string> = {
  measure: "bg-blue-500/10 text-blue-700 dark:text-blue-300",
  dimension: "bg-violet-500/10 text-violet-700 dark:text-violet-300",
  time: "bg-amber-500/10 text-amber-700 dark:text-amber-300",
  identifier: "bg-slate-500/10 text-slate-700 dark:text-slate-300",
  geography: "bg-emerald-500/10 text-emerald-700 dark:text-emerald-300",
  text: "bg-zinc-500/10 text-zinc-700 dark:text-zinc-300",
};

export function CatalogPanel({
  catalog,
  error,
  onInsert,
  onClose,
  className,
}: {
  catalog: EngineCatalog | null;
  error: string | null;
  onInsert?: (text: string) => void;
  onClose?: () => void;
  className?: string;
}) {
  const [query, setQuery] = useState("");
  const view = useMemo(() => (catalog ? filterCatalog(catalog, query) : null), [catalog, query]);
  const searching = query.trim() !== "";
  const problem = error ?? catalog?.error ?? null;
  return (
    <section
      aria-label="Data catalog"
      data-testid="catalog-panel"
      className={cn("flex min-h-0 min-w-0 flex-col gap-2", className)}
    >
      <div className="flex items-center justify-between gap-2">
        <h2 className="text-sm font-semibold">Catalog</h2>
        {onClose ? (
          <Button
            variant="ghost"
            size="icon"
            className="h-7 w-7"
            aria-label="Hide the catalog"
            onClick={onClose}
          >
            <X />
          </Button>
        ) : null}
      </div>
      <div className="relative">
        <Search className="pointer-events-none absolute left-2.5 top-2.5 h-4 w-4 text-muted-foreground" />
        <Input
          type="search"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          placeholder="Search the catalog"
          aria-label="Search the catalog"
          data-testid="catalog-search"
          className="pl-8"
        />
      </div>
      <div className="min-h-0 flex-1 overflow-y-auto pr-1 text-sm" data-testid="catalog-list">
        {problem ? (
          <p role="alert" className="text-destructive">
            {problem}
          </p>
        ) : null}
        {!view && !problem ? <p className="text-muted-foreground">Loading the catalog…</p> : null}
        {view ? (
          <>
            {view.tables.length ? (
              <h3 className="mb-1 text-xs font-medium uppercase tracking-wide text-muted-foreground">
                Tables
              </h3>
            ) : null}
            <ul className="mb-3 flex flex-col gap-1">
              {view.tables.map(({ table, columns }) => (
                <li key={table.name}>
                  <TableItem table={table} columns={columns} expanded={searching} onInsert={onInsert} />
                </li>
              ))}
            </ul>
            {view.metrics.length ? (
              <div>
                <h3 className="mb-1 text-xs font-medium uppercase tracking-wide text-muted-foreground">
                  Metrics
                </h3>
                <ul className="flex flex-col gap-0.5">
                  {view.metrics.map((m) => (
                    <li key={m.name}>
                      <MetricItem metric={m} onInsert={onInsert} />
                    </li>
                  ))}
                </ul>
              </div>
            ) : null}
            {searching && !view.tables.length && !view.metrics.length ? (
              <p className="text-muted-foreground" data-testid="catalog-empty">
                Nothing matches “{query.trim()}”.
              </p>
            ) : null}
          </>
        ) : null}
      </div>
    </section>
  );
}

function MetricItem({ metric, onInsert }: { metric: CatalogMetric; onInsert?: (text: string) => void }) {
  return (
    <button
      type="button"
      data-testid="catalog-metric"
      className="flex w-full items-start gap-2 rounded-md px-2 py-1 text-left hover:bg-muted focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring"
      title={onInsert ? `Add “${metric.name}” to the question` : undefined}
      onClick={() => onInsert?.(metric.name)}
    >
      <Sigma className="mt-0.5 h-3.5 w-3.5 shrink-0 text-muted-foreground" />
      <span className="min-w-0">
        <span className="font-medium">{metric.name}</span>
        {metric.description ? (
          <span className="block text-xs text-muted-foreground">{metric.description}</span>
        ) : null}
      </span>
    </button>
  );
}

function TableItem({
  table,
  columns,
  expanded,
  onInsert,
}: {
  table: CatalogTable;
  columns: CatalogColumn[];
  expanded: boolean;
  onInsert?: (text: string) => void;
}) {
  const [open, setOpen] = useState(false);
  return (
    <Collapsible
      open={open || expanded}
      onOpenChange={setOpen}
      data-testid="catalog-table"
      data-table={table.name}
    >
      <CollapsibleTrigger className="group flex w-full items-center gap-2 rounded-md px-2 py-1 text-left hover:bg-muted focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring">
        <ChevronRight className="h-3.5 w-3.5 shrink-0 transition-transform group-data-[state=open]:rotate-90" />
        <Table2 className="h-3.5 w-3.5 shrink-0 text-muted-foreground" />
        <span className="min-w-0 flex-1 truncate font-medium" data-testid="catalog-table-label">
          {table.label}
        </span>
        {table.row_count !== null ? (
          <span className="shrink-0 text-xs tabular-nums text-muted-foreground">
            {table.row_count.toLocaleString()} rows
          </span>
        ) : null}
      </CollapsibleTrigger>
      <CollapsibleContent className="pb-1 pl-6">
        {table.description ? <p className="mb-1 text-xs text-muted-foreground">{table.description}</p> : null}
        <ul className="flex flex-col">
          {columns.map((c) => (
            <li key={c.name}>
              <button
                type="button"
                data-testid="catalog-column"
                data-column={`${table.name}.${c.name}`}
                className="flex w-full flex-col rounded-md px-2 py-1 text-left hover:bg-muted focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring"
                title={onInsert ? `Add “${c.label}” to the question` : undefined}
                onClick={() => onInsert?.(c.label)}
              >
                <span className="flex items-baseline gap-2">
                  <span className="min-w-0 flex-1 break-words">{c.label}</span>
                  <span className="shrink-0 font-mono text-[11px] text-muted-foreground">{c.type}</span>
                </span>
                <span className="flex items-center gap-2">
                  <Badge
                    variant="outline"
                    className={cn("border-0 px-1.5 py-0 font-normal", ROLE_STYLES[c.role])}
                  >
                    {c.role}
                  </Badge>
                  {c.label !== c.name ? (
                    <span className="min-w-0 truncate font-mono text-[11px] text-muted-foreground">
                      {c.name}
                    </span>
                  ) : null}
                </span>
                {c.description ? (
                  <span className="text-xs text-muted-foreground">{c.description}</span>
                ) : null}
              </button>
            </li>
          ))}
        </ul>
      </CollapsibleContent>
    </Collapsible>
  );
}
