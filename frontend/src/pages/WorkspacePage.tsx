// Ask questions, watch the run stream, tune the resulting chart, save it as a template.
import { BookOpen, History, Plus } from "lucide-react";
import { useCallback, useEffect, useRef, useState } from "react";
import { ArtifactPanel } from "@/components/artifact/ArtifactPanel";
import { CatalogPanel } from "@/components/catalog/CatalogPanel";
import { CatalogSheet } from "@/components/catalog/CatalogSheet";
import { EngineSelect } from "@/components/catalog/EngineSelect";
import { ChatPanel } from "@/components/chat/ChatPanel";
import { SaveTemplateDialog } from "@/components/templates/SaveTemplateDialog";
import { Button } from "@/components/ui/button";
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuLabel,
  DropdownMenuTrigger,
} from "@/components/ui/dropdown-menu";
import { useArtifact } from "@/hooks/useArtifact";
import { useCatalog } from "@/hooks/useCatalog";
import { useChatStream } from "@/hooks/useChatStream";
import { useMediaQuery } from "@/hooks/useMediaQuery";
import { api } from "@/lib/api";
import type { ConversationSummary } from "@/lib/api-schemas";
import type { Route } from "@/lib/router";
import { cn } from "@/lib/utils";

export function WorkspacePage({
  conversationId,
  navigate,
  theme,
}: {
  conversationId: string | null;
  navigate: (route: Route, opts?: { replace?: boolean }) => void;
  theme: "light" | "dark";
}) {
  const { artifact, dispatch, setParams } = useArtifact();
  const [history, setHistory] = useState<ConversationSummary[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const onConversation = useCallback(
    (id: string) => navigate({ name: "workspace", conversationId: id }, { replace: true }),
    [navigate],
  );
  const data = useCatalog();
  // The catalog sits beside the chat on wide screens (open at first) and is a sheet on narrow ones.
  const wide = useMediaQuery("(min-width: 1280px)");
  const [catalogOpen, setCatalogOpen] = useState(wide);
  useEffect(() => setCatalogOpen(wide), [wide]);
  const catalogToggle = useRef<HTMLButtonElement>(null);
  const [insert, setInsert] = useState<{ text: string; nonce: number } | null>(null);
  const insertIntoPrompt = (text: string) => {
    setInsert({ text, nonce: Date.now() });
    if (!wide) setCatalogOpen(false);
  };
  const chat = useChatStream({ artifact: dispatch, engine: data.engine ?? undefined, onConversation });
  const { loadConversation, reset } = chat;

  // Opening /app/c/<id> (or picking one from the history) loads that conversation.
  // biome-ignore lint/correctness/useExhaustiveDependencies: only a route change loads a conversation
  useEffect(() => {
    setLoadError(null);
    if (!conversationId) {
      // Back (or forward) to a new chat: leave the conversation that was open.
      if (chat.conversationId) reset();
      return;
    }
    if (conversationId === chat.conversationId) return;
    let cancelled = false;
    api.getConversation(conversationId).then(
      (c) => !cancelled && loadConversation(c),
      (e: Error) => !cancelled && setLoadError(e.message),
    );
    return () => {
      cancelled = true;
    };
  }, [conversationId]);

  const lastRun = chat.runs[chat.runs.length - 1];
  const canSave = Boolean(artifact.runId && artifact.generatedCode && !artifact.isGenerating);

  const catalogPanel = (
    <CatalogPanel
      catalog={data.catalog}
      error={data.error}
      onInsert={insertIntoPrompt}
      onClose={() => setCatalogOpen(false)}
      className="h-full"
    />
  );

  return (
    <div
      className={cn(
        "grid h-full min-h-0 grid-cols-1 gap-4 p-4 lg:grid-cols-[minmax(320px,2fr)_minmax(0,3fr)]",
        wide && catalogOpen && "xl:grid-cols-[minmax(240px,1fr)_minmax(320px,2fr)_minmax(0,3fr)]",
      )}
    >
      {wide && catalogOpen ? catalogPanel : null}
      {!wide ? (
        <CatalogSheet open={catalogOpen} onOpenChange={setCatalogOpen} returnFocusTo={catalogToggle}>
          {catalogPanel}
        </CatalogSheet>
      ) : null}
      <div className="flex min-h-0 min-w-0 flex-col gap-2">
        <div className="flex items-center justify-between">
          <h2 className="text-sm font-semibold">Conversation</h2>
          <div className="flex gap-1">
            <DropdownMenu
              onOpenChange={(open) => open && api.listConversations().then(setHistory, () => setHistory([]))}
            >
              <DropdownMenuTrigger asChild>
                <Button variant="ghost" size="sm" data-testid="history-menu">
                  <History /> History
                </Button>
              </DropdownMenuTrigger>
              <DropdownMenuContent align="end" className="max-h-80 w-72 overflow-y-auto">
                <DropdownMenuLabel>Recent conversations</DropdownMenuLabel>
                {history === null ? <DropdownMenuItem disabled>Loading…</DropdownMenuItem> : null}
                {history?.length === 0 ? (
                  <DropdownMenuItem disabled>No conversations yet</DropdownMenuItem>
                ) : null}
                {history?.map((c) => (
                  <DropdownMenuItem
                    key={c.id}
                    onSelect={() => navigate({ name: "workspace", conversationId: c.id })}
                  >
                    <span className="truncate">{c.title || c.id}</span>
                  </DropdownMenuItem>
                ))}
              </DropdownMenuContent>
            </DropdownMenu>
            <Button
              variant="ghost"
              size="sm"
              data-testid="new-chat"
              disabled={chat.isStreaming}
              onClick={() => {
                reset();
                navigate({ name: "workspace", conversationId: null });
              }}
            >
              <Plus /> New
            </Button>
          </div>
        </div>
        <div className="flex flex-wrap items-center gap-2">
          <Button
            ref={catalogToggle}
            variant={catalogOpen && wide ? "secondary" : "outline"}
            size="sm"
            data-testid="catalog-toggle"
            aria-expanded={catalogOpen}
            onClick={() => setCatalogOpen((open) => !open)}
          >
            <BookOpen /> Catalog
          </Button>
          <EngineSelect
            engines={data.engines}
            value={data.engine}
            onChange={data.setEngine}
            disabled={chat.isStreaming}
          />
        </div>
        {loadError ? (
          <p role="alert" className="text-sm text-destructive">
            {loadError}
          </p>
        ) : null}
        <ChatPanel
          runs={chat.runs}
          isStreaming={chat.isStreaming}
          onSend={chat.send}
          onStop={chat.stop}
          suggestions={data.suggestions ?? []}
          insert={insert}
        />
      </div>
      <div className="flex min-h-0 min-w-0 flex-col gap-2">
        {saved ? (
          <p className="text-sm text-muted-foreground" role="status" data-testid="save-status">
            Saved as template.{" "}
            <button
              type="button"
              className="underline"
              onClick={() => navigate({ name: "template", id: saved })}
            >
              Open it
            </button>
          </p>
        ) : null}
        <ArtifactPanel
          artifact={artifact}
          onParamsChange={setParams}
          theme={theme}
          onRenderError={(failure) => {
            if (artifact.runId && failure.phase !== "data_fetch") {
              void chat.reportRenderError(artifact.runId, `${failure.phase} error: ${failure.message}`);
            }
          }}
          actions={
            <SaveTemplateDialog
              runId={artifact.runId}
              defaultTitle={
                typeof artifact.currentParams.title === "string"
                  ? artifact.currentParams.title
                  : (lastRun?.prompt ?? "")
              }
              disabled={!canSave}
              params={artifact.currentParams}
              controls={artifact.controls}
              onSaved={(t) => setSaved(t.id)}
            />
          }
        />
      </div>
    </div>
  );
}
