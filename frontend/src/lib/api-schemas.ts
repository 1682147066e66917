// The portal's names for the backend's wire schemas. Everything here comes from the Zod schemas
// generated from the Pydantic models (src/lib/generated), so a renamed model is fixed in one place.
import { z } from "zod";
import type { Control } from "@/lib/generated/types";
import {
  CatalogOutSchema,
  ControlSchema,
  ConversationDetailOutSchema,
  ConversationOutSchema,
  type EngineCatalogSchema,
  type EngineOutSchema,
  EnginesOutSchema,
  MeOutSchema,
  QueryOutSchema,
  QueryResultDataSchema,
  type ResultColumnSchema,
  ResultColumnsOutSchema,
  type RunOutSchema,
  SharesOutSchema,
  SuggestionsOutSchema,
  TemplateListOutSchema,
  TemplateOutSchema,
  TemplateVersionOutSchema,
} from "@/lib/generated/zod";

export const QueryResultSchema = QueryResultDataSchema;
export const ResultColumnsSchema = ResultColumnsOutSchema;
/** One column of a result as the server describes it (type, format, date grain), validated. */
export type ResultColumnInfo = z.infer<typeof ResultColumnSchema>;
export type QueryResult = z.infer<typeof QueryResultSchema>;

export const ParamControlSchema = ControlSchema;
export type ParamControl = Control;

export const MeSchema = MeOutSchema;

export const TemplateSchema = TemplateOutSchema;
export type Template = z.infer<typeof TemplateSchema>;

export const TemplateListSchema = TemplateListOutSchema.transform((list) => ({
  items: list.items,
  total: list.total,
  page: list.page,
  pages: Math.max(1, Math.ceil(list.total / Math.max(1, list.page_size))),
}));

export const TemplateVersionListSchema = z.array(TemplateVersionOutSchema);
export type TemplateVersion = z.infer<typeof TemplateVersionOutSchema>;

export const SharesSchema = SharesOutSchema;
export type Shares = z.infer<typeof SharesSchema>;

export const RefreshResultSchema = QueryOutSchema;

export const ConversationListSchema = z.array(ConversationOutSchema);
export type ConversationSummary = z.infer<typeof ConversationOutSchema>;
export const ConversationSchema = ConversationDetailOutSchema;
export type Conversation = z.infer<typeof ConversationSchema>;
export type StoredRun = z.infer<typeof RunOutSchema>;

export const EnginesSchema = EnginesOutSchema;
export type Engine = z.infer<typeof EngineOutSchema>;
export const CatalogSchema = CatalogOutSchema;
export type EngineCatalog = z.infer<typeof EngineCatalogSchema>;
export type CatalogTable = EngineCatalog["tables"][number];
export type CatalogColumn = CatalogTable["columns"][number];
export type CatalogMetric = EngineCatalog["metrics"][number];
export const SuggestionsSchema = SuggestionsOutSchema;
