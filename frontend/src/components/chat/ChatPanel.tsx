// The conversation: past and streaming runs above, the prompt box below.
import { useEffect, useRef } from "react";
import { PromptBox } from "@/components/chat/PromptBox";
import { RunAnnouncer } from "@/components/chat/RunAnnouncer";
import { RunView } from "@/components/chat/RunView";
import type { RunState } from "@/hooks/useChatStream";

export function ChatPanel({
  runs,
  isStreaming,
  onSend,
  onStop,
  suggestions = [],
  insert,
}: {
  runs: RunState[];
  isStreaming: boolean;
  onSend: (prompt: string) => void;
  onStop: () => void;
  /** Questions to start from, made by the server from the selected engine's catalog. */
  suggestions?: string[];
  insert?: { text: string; nonce: number } | null;
}) {
  const end = useRef<HTMLDivElement>(null);
  const last = runs[runs.length - 1];
  // biome-ignore lint/correctness/useExhaustiveDependencies: follow the stream as the last run grows
  useEffect(() => {
    end.current?.scrollIntoView({ block: "end" });
  }, [runs.length, last?.thoughts, last?.status, last?.sql]);
  return (
    <section className="flex h-full min-h-0 flex-col gap-3" aria-label="Chat" data-testid="chat-panel">
      <RunAnnouncer run={last} idle={!isStreaming} />
      <div className="min-h-0 flex-1 overflow-y-auto pr-1" data-testid="chat-log">
        {runs.length === 0 ? (
          <div className="flex h-full flex-col items-center justify-center gap-3 text-center text-sm text-muted-foreground">
            <p>Ask a question about your data. The answer comes back as a chart you can tune.</p>
            <div className="flex flex-wrap justify-center gap-2" data-testid="suggestions">
              {suggestions.map((e) => (
                <button
                  key={e}
                  type="button"
                  data-testid="suggestion"
                  className="rounded-full border px-3 py-1 text-xs hover:bg-muted"
                  onClick={() => onSend(e)}
                >
                  {e}
                </button>
              ))}
            </div>
          </div>
        ) : (
          <div className="flex flex-col gap-4">
            {runs.map((run) => (
              <RunView key={run.key} run={run} onAsk={isStreaming ? undefined : onSend} />
            ))}
          </div>
        )}
        <div ref={end} />
      </div>
      <PromptBox
        onSend={onSend}
        onStop={onStop}
        isStreaming={isStreaming}
        placeholder={runs.length ? "Refine the chart…" : "Ask about your data…"}
        insert={insert}
      />
    </section>
  );
}
