// Filtering the catalog panel: a table, column or metric matches when every word of the query is
// found in its name, readable name, synonyms or description. A table that matches keeps all its
// columns; otherwise it keeps the columns that match, and disappears when none does.
import type { CatalogColumn, CatalogMetric, CatalogTable, EngineCatalog } from "@/lib/api-schemas";

export interface CatalogView {
  tables: { table: CatalogTable; columns: CatalogColumn[] }[];
  metrics: CatalogMetric[];
}

function words(query: string): string[] {
  return query.toLowerCase().split(/\s+/).filter(Boolean);
}

function matches(terms: string[], texts: (string | undefined)[]): boolean {
  const haystack = texts
    .filter(Boolean)
    .join("\n")
    .toLowerCase()
    .replace(/[_\s]+/g, " ");
  return terms.every((term) => haystack.includes(term.replace(/_/g, " ")));
}

const columnTexts = (c: CatalogColumn) => [c.name, c.label, c.description, ...c.synonyms];
const tableTexts = (t: CatalogTable) => [t.name, t.label, t.description, ...t.synonyms];
const metricTexts = (m: CatalogMetric) => [m.name, m.description, ...m.synonyms];

export function filterCatalog(catalog: EngineCatalog, query: string): CatalogView {
  // The server leaves hidden columns out; a stale reply from an older server must not show them.
  const tables = catalog.tables
    .filter((t) => !t.hidden)
    .map((t) => ({ table: t, columns: t.columns.filter((c) => !c.hidden) }));
  const terms = words(query);
  if (!terms.length) return { tables, metrics: catalog.metrics };
  return {
    tables: tables
      .map(({ table, columns }) =>
        matches(terms, tableTexts(table))
          ? { table, columns }
          : { table, columns: columns.filter((c) => matches(terms, columnTexts(c))) },
      )
      .filter(({ columns, table }) => columns.length > 0 || matches(terms, tableTexts(table))),
    metrics: catalog.metrics.filter((m) => matches(terms, metricTexts(m))),
  };
}
