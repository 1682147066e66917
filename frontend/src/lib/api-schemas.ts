// Zod schemas of the REST responses the portal reads. Lenient on purpose (unknown keys pass through)
// until the backend's exported schemas replace them.
import { z } from "zod";
import { ParamControlSchema, QueryResultSchema } from "@/lib/generated/zod";

export { QueryResultSchema };
export type QueryResult = z.infer<typeof QueryResultSchema>;

export const MeSchema = z.object({ username: z.string(), roles: z.array(z.string()) }).passthrough();

const Nullable = <T extends z.ZodTypeAny>(schema: T) => schema.nullable().optional();

/** Template `parameters`: either {values, controls} or, as in the export format, the flat values. */
export const TemplateParametersSchema = z.union([
  z.object({ values: z.record(z.unknown()), controls: z.array(ParamControlSchema).optional() }).passthrough(),
  z.record(z.unknown()),
]);

export const TemplateSchema = z
  .object({
    id: z.union([z.string(), z.number()]).transform(String),
    title: z.string().default(""),
    description: z.string().default(""),
    tags: z.array(z.string()).default([]),
    owner: z.union([z.string(), z.object({ username: z.string() }).transform((o) => o.username)]).optional(),
    status: z.string().optional(),
    featured: z.boolean().default(false),
    version: z.number().optional(),
    visibility: z.string().optional(),
    can_edit: z.boolean().default(false),
    prompt: z.string().default(""),
    generated_sql: Nullable(z.string()),
    ui_code: z.string().default(""),
    parameters: TemplateParametersSchema.default({}),
    data_source: Nullable(z.string()),
    data_url: Nullable(z.string()),
    data_format: Nullable(z.enum(["json", "parquet"])),
    shares: z
      .array(
        z.object({
          user: Nullable(z.string()),
          group: Nullable(z.string()),
          role: z.enum(["viewer", "editor"]),
        }),
      )
      .optional(),
    created_at: Nullable(z.string()),
    updated_at: Nullable(z.string()),
  })
  .passthrough();
export type Template = z.infer<typeof TemplateSchema>;

export const TemplateListSchema = z.union([
  z.array(TemplateSchema).transform((items) => ({ items, count: items.length, page: 1, pages: 1 })),
  z
    .object({
      items: z.array(TemplateSchema),
      count: z.number().optional(),
      page: z.number().optional(),
      pages: z.number().optional(),
    })
    .passthrough()
    .transform((v) => ({
      items: v.items,
      count: v.count ?? v.items.length,
      page: v.page ?? 1,
      pages: v.pages ?? 1,
    })),
]);

export const TemplateVersionSchema = z
  .object({
    version: z.number(),
    created_at: Nullable(z.string()),
    author: Nullable(z.union([z.string(), z.object({ username: z.string() }).transform((a) => a.username)])),
    title: Nullable(z.string()),
    note: Nullable(z.string()),
  })
  .passthrough();
export const TemplateVersionListSchema = z.union([
  z.array(TemplateVersionSchema),
  z.object({ items: z.array(TemplateVersionSchema) }).transform((v) => v.items),
]);
export type TemplateVersion = z.infer<typeof TemplateVersionSchema>;

export const RefreshResultSchema = z
  .object({
    id: z.union([z.string(), z.number()]).transform(String),
    url: z.string(),
    size: z.enum(["small", "large"]).optional(),
    format: z.enum(["json", "parquet"]),
    row_count: z.number().optional(),
    truncated: z.boolean().optional(),
    columns: z.array(z.unknown()).optional(),
  })
  .passthrough();

const StoredEventSchema = z
  .object({ event: z.string(), data: z.unknown(), id: z.string().optional() })
  .passthrough();

export const ConversationRunSchema = z
  .object({
    id: z.union([z.string(), z.number()]).transform(String),
    prompt: z.string().default(""),
    status: z.string().optional(),
    events: z.array(StoredEventSchema).optional(),
  })
  .passthrough();

export const ConversationSummarySchema = z
  .object({
    id: z.union([z.string(), z.number()]).transform(String),
    title: z.string().nullable().optional(),
    created_at: Nullable(z.string()),
    updated_at: Nullable(z.string()),
  })
  .passthrough();

export const ConversationListSchema = z.union([
  z.array(ConversationSummarySchema),
  z.object({ items: z.array(ConversationSummarySchema) }).transform((v) => v.items),
]);

export const ConversationSchema = ConversationSummarySchema.extend({
  runs: z.array(ConversationRunSchema).default([]),
});
export type Conversation = z.infer<typeof ConversationSchema>;
export type ConversationSummary = z.infer<typeof ConversationSummarySchema>;
