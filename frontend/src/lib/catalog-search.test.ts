import { describe, expect, it } from "vitest";
import { filterCatalog } from "@/lib/catalog-search";
import { EngineCatalogSchema } from "@/lib/generated/zod";

const catalog = EngineCatalogSchema.parse({
  name: "local",
  kind: "duckdb_local",
  dialect: "duckdb",
  default: true,
  tables: [
    {
      name: "shipments",
      label: "shipments",
      description: "One row per parcel sent.",
      columns: [
        { name: "ship_dt", label: "ship date", role: "time", type: "DATE" },
        { name: "wt_kg", label: "weight kg", role: "measure", type: "DOUBLE", synonyms: ["mass"] },
        { name: "secret", label: "secret", role: "text", type: "VARCHAR", hidden: true },
      ],
    },
    {
      name: "depots",
      label: "depots",
      synonyms: ["warehouses"],
      columns: [{ name: "depot_code", label: "depot code", role: "identifier", type: "VARCHAR" }],
    },
  ],
  metrics: [
    { name: "average weight", expression: "AVG(wt_kg)", table: "shipments", synonyms: ["mean mass"] },
  ],
});

const names = (view: ReturnType<typeof filterCatalog>) =>
  view.tables.map(({ table, columns }) => `${table.name}: ${columns.map((c) => c.name).join(",")}`);

describe("filterCatalog", () => {
  it("shows every visible table and column without a query, never a hidden column", () => {
    expect(names(filterCatalog(catalog, ""))).toEqual(["shipments: ship_dt,wt_kg", "depots: depot_code"]);
  });

  it("keeps the columns that match by readable name, name or synonym", () => {
    expect(names(filterCatalog(catalog, "date"))).toEqual(["shipments: ship_dt"]);
    expect(names(filterCatalog(catalog, "wt_kg"))).toEqual(["shipments: wt_kg"]);
    expect(names(filterCatalog(catalog, "mass")).slice(0, 1)).toEqual(["shipments: wt_kg"]);
  });

  it("keeps a whole table that matches by synonym or description", () => {
    expect(names(filterCatalog(catalog, "warehouses"))).toEqual(["depots: depot_code"]);
    expect(names(filterCatalog(catalog, "parcel"))).toEqual(["shipments: ship_dt,wt_kg"]);
  });

  it("filters metrics by name and synonym, and finds nothing for a word that is nowhere", () => {
    expect(filterCatalog(catalog, "mean").metrics.map((m) => m.name)).toEqual(["average weight"]);
    const none = filterCatalog(catalog, "secret");
    expect(none.tables).toEqual([]);
    expect(none.metrics).toEqual([]);
  });
});
