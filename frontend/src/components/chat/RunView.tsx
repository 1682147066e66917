// One run in the conversation: the prompt, streamed thoughts (collapsible), SQL, progress, errors.
import { AlertCircle, Brain, CheckCircle2, ChevronRight, Loader2, XCircle } from "lucide-react";
import { useState } from "react";
import { CodeBlock } from "@/components/CodeBlock";
import { Badge } from "@/components/ui/badge";
import { Collapsible, CollapsibleContent, CollapsibleTrigger } from "@/components/ui/collapsible";
import type { RunState } from "@/hooks/useChatStream";

function Progress({ stage, done, total }: { stage: string; done: number; total: number }) {
  const pct = total > 0 ? Math.min(100, Math.round((done / total) * 100)) : 0;
  return (
    <div className="flex flex-col gap-1" data-testid="run-progress">
      <div className="flex justify-between text-xs text-muted-foreground">
        <span>{stage}</span>
        <span>
          {done}/{total}
        </span>
      </div>
      <div
        role="progressbar"
        aria-label={stage}
        aria-valuemin={0}
        aria-valuemax={total}
        aria-valuenow={done}
        className="h-1.5 overflow-hidden rounded-full bg-muted"
      >
        <div className="h-full bg-primary transition-[width]" style={{ width: `${pct}%` }} />
      </div>
    </div>
  );
}

/** Questions to send next, as buttons (a question back's readings, a decline's suggestions). */
function AskButtons({
  options,
  onAsk,
  testId,
  label,
}: {
  options: string[];
  onAsk?: ((prompt: string) => void) | undefined;
  testId: string;
  label: string;
}) {
  if (!options.length) return null;
  return (
    <ul className="flex flex-wrap gap-2" aria-label={label}>
      {options.map((option) => (
        <li key={option}>
          <button
            type="button"
            data-testid={testId}
            disabled={!onAsk}
            className="rounded-full border px-3 py-1 text-left text-xs hover:bg-muted disabled:opacity-50"
            onClick={() => onAsk?.(option)}
          >
            {option}
          </button>
        </li>
      ))}
    </ul>
  );
}

/** The model's question back: each option is sent as the next question of the conversation. */
function Clarify({
  question,
  options,
  onAsk,
}: {
  question: string;
  options: string[];
  onAsk?: ((prompt: string) => void) | undefined;
}) {
  return (
    <div className="flex flex-col gap-2" data-testid="run-clarify">
      <p className="font-medium">{question}</p>
      <AskButtons options={options} onAsk={onAsk} testId="clarify-option" label="Possible readings" />
    </div>
  );
}

/** A refusal reads as the model's answer, not as a failure: its reason, then what to ask instead. */
function Declined({
  message,
  suggestions,
  onAsk,
}: {
  message: string;
  suggestions: string[];
  onAsk?: ((prompt: string) => void) | undefined;
}) {
  return (
    <div className="flex flex-col gap-2" data-testid="run-declined">
      <p className="whitespace-pre-wrap" data-testid="run-error">
        {message}
      </p>
      {suggestions.length ? (
        <>
          <p className="text-xs text-muted-foreground">You could ask:</p>
          <AskButtons
            options={suggestions}
            onAsk={onAsk}
            testId="suggested-question"
            label="Suggested questions"
          />
        </>
      ) : null}
    </div>
  );
}

export function RunView({ run, onAsk }: { run: RunState; onAsk?: ((prompt: string) => void) | undefined }) {
  const [open, setOpen] = useState(true);
  const streaming = run.status === "streaming";
  return (
    <article
      className="flex flex-col gap-2"
      data-testid="run"
      data-status={run.status}
      data-run-key={run.key}
      aria-busy={streaming}
      aria-label={`Question: ${run.prompt}`}
    >
      <div className="ml-8 self-end whitespace-pre-wrap rounded-lg bg-primary px-3 py-2 text-sm text-primary-foreground">
        {run.prompt}
      </div>
      <div className="mr-4 flex flex-col gap-2 rounded-lg border bg-card p-3 text-sm">
        {run.thoughts ? (
          <Collapsible open={open} onOpenChange={setOpen}>
            <CollapsibleTrigger
              className="flex items-center gap-1 text-xs font-medium text-muted-foreground hover:text-foreground"
              data-testid="thoughts-toggle"
            >
              <ChevronRight className={`h-3 w-3 transition-transform ${open ? "rotate-90" : ""}`} />
              <Brain className="h-3 w-3" /> Thoughts
            </CollapsibleTrigger>
            <CollapsibleContent>
              <p className="mt-1 whitespace-pre-wrap text-muted-foreground" data-testid="run-thoughts">
                {run.thoughts}
              </p>
            </CollapsibleContent>
          </Collapsible>
        ) : null}
        {run.sql ? (
          <div className="flex flex-col gap-1">
            <span className="text-xs text-muted-foreground">
              SQL <Badge variant="outline">{run.sql.engine}</Badge>
            </span>
            <CodeBlock code={run.sql.sql} language="sql" testId="run-sql" label="SQL" />
          </div>
        ) : null}
        {run.waiting !== null && streaming ? (
          <p className="text-xs text-muted-foreground" data-testid="run-waiting">
            {run.waiting === 0 ? "Waiting for a free slot: you are next." : `Waiting, ${run.waiting} ahead.`}
          </p>
        ) : null}
        {run.progress && streaming ? <Progress {...run.progress} /> : null}
        {run.codeChars > 0 ? (
          <span className="text-xs text-muted-foreground">
            Component: {run.codeChars.toLocaleString()} characters{streaming ? " so far" : ""}
          </span>
        ) : null}
        {run.clarify ? <Clarify {...run.clarify} onAsk={onAsk} /> : null}
        {run.error?.code === "declined" ? (
          <Declined message={run.error.message} suggestions={run.error.suggestions ?? []} onAsk={onAsk} />
        ) : run.error ? (
          <div role="alert" data-testid="run-error" className="flex items-start gap-2 text-destructive">
            <AlertCircle className="mt-0.5 h-4 w-4 shrink-0" />
            <p className="whitespace-pre-wrap">{run.error.message}</p>
          </div>
        ) : null}
        <div className="flex items-center gap-1 text-xs text-muted-foreground">
          {streaming ? (
            <>
              <Loader2 className="h-3 w-3 animate-spin" />{" "}
              {run.reconnecting ? "Connection lost, resuming…" : "Working…"}
            </>
          ) : run.status === "complete" ? (
            <>
              <CheckCircle2 className="h-3 w-3 text-green-600" /> Done
            </>
          ) : run.status === "cancelled" ? (
            <>
              <XCircle className="h-3 w-3" /> Stopped
            </>
          ) : null}
        </div>
      </div>
    </article>
  );
}
