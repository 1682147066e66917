// The REST client: session cookie, CSRF header on unsafe methods, `{code, message}` errors, and
// every response validated with Zod before the UI sees it.
import type { z } from "zod";
import {
  CatalogSchema,
  ConversationListSchema,
  ConversationSchema,
  EnginesSchema,
  RefreshResultSchema,
  SharesSchema,
  SuggestionsSchema,
  TemplateListSchema,
  TemplateSchema,
  TemplateVersionListSchema,
} from "@/lib/api-schemas";
import { errorFrom, HttpError } from "@/lib/sse";

export { HttpError };

let csrfToken = "";

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

export function getCsrfToken(): string {
  return csrfToken;
}

export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  const method = (init.method ?? "GET").toUpperCase();
  const headers = new Headers(init.headers);
  if (!["GET", "HEAD", "OPTIONS"].includes(method)) headers.set("X-CSRFToken", csrfToken);
  if (init.body && typeof init.body === "string") headers.set("Content-Type", "application/json");
  const response = await fetch(path, { ...init, method, headers, credentials: "same-origin" });
  if (!response.ok) throw await errorFrom(response);
  return response;
}

export async function requestJson<S extends z.ZodTypeAny>(
  path: string,
  schema: S,
  init: RequestInit = {},
): Promise<z.output<S>> {
  const response = await request(path, init);
  const body: unknown = await response.json();
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw new HttpError(response.status, "invalid_response", `Unexpected response from ${path}.`);
  }
  return parsed.data as z.output<S>;
}

const json = (method: string, body: unknown): RequestInit => ({ method, body: JSON.stringify(body) });

export type TemplateFilter = "mine" | "shared" | "featured" | "all";

export const api = {
  listTemplates(params: { q?: string; filter?: TemplateFilter; page?: number; status?: string }) {
    const qs = new URLSearchParams();
    if (params.status) qs.set("status", params.status);
    if (params.q) qs.set("q", params.q);
    // The server takes one boolean per filter: mine=true, shared=true, featured=true.
    if (params.filter && params.filter !== "all") qs.set(params.filter, "true");
    if (params.page) qs.set("page", String(params.page));
    return requestJson(`/api/templates?${qs}`, TemplateListSchema);
  },
  getTemplate: (id: string) => requestJson(`/api/templates/${encodeURIComponent(id)}`, TemplateSchema),
  createTemplate: (body: {
    run_id: string;
    title: string;
    description: string;
    tags: string[];
    parameters?: { values: Record<string, unknown>; controls: unknown[] };
  }) => requestJson("/api/templates", TemplateSchema, json("POST", body)),
  updateTemplate: (id: string, body: Record<string, unknown>) =>
    requestJson(`/api/templates/${encodeURIComponent(id)}`, TemplateSchema, json("PATCH", body)),
  deleteTemplate: (id: string) => request(`/api/templates/${encodeURIComponent(id)}`, { method: "DELETE" }),
  listVersions: (id: string) =>
    requestJson(`/api/templates/${encodeURIComponent(id)}/versions`, TemplateVersionListSchema),
  restoreVersion: (id: string, version: number) =>
    requestJson(
      `/api/templates/${encodeURIComponent(id)}/restore/${version}`,
      TemplateSchema,
      json("POST", {}),
    ),
  getShares: (id: string) => requestJson(`/api/templates/${encodeURIComponent(id)}/shares`, SharesSchema),
  shareTemplate: (
    id: string,
    body: {
      shares: { user?: string; group?: string; role: "viewer" | "editor" }[];
      visibility?: "private" | "shared" | "organization";
    },
  ) => requestJson(`/api/templates/${encodeURIComponent(id)}/shares`, SharesSchema, json("PUT", body)),
  refreshTemplate: (id: string) =>
    requestJson(`/api/templates/${encodeURIComponent(id)}/refresh`, RefreshResultSchema, json("POST", {})),
  putThumbnail: (id: string, picture: Blob) =>
    request(`/api/templates/${encodeURIComponent(id)}/thumbnail`, {
      method: "PUT",
      body: picture,
      headers: { "Content-Type": "image/png" },
    }),
  exportTemplates: async (ids: string[]) => {
    const response = await request(`/api/templates/export?ids=${ids.map(encodeURIComponent).join(",")}`);
    return response.blob();
  },
  listConversations: () => requestJson("/api/conversations", ConversationListSchema),
  getConversation: (id: string) =>
    requestJson(`/api/conversations/${encodeURIComponent(id)}`, ConversationSchema),
  cancelRun: (runId: string) => request(`/api/runs/${encodeURIComponent(runId)}/cancel`, json("POST", {})),
  listEngines: () => requestJson("/api/engines", EnginesSchema),
  getCatalog: (engine: string) =>
    requestJson(`/api/catalog?engine=${encodeURIComponent(engine)}`, CatalogSchema),
  getSuggestions: (engine: string) =>
    requestJson(`/api/suggestions?engine=${encodeURIComponent(engine)}`, SuggestionsSchema),
  sendFeedback: (runId: string, renderError: string) =>
    request(`/api/runs/${encodeURIComponent(runId)}/feedback`, json("POST", { render_error: renderError })),
};
