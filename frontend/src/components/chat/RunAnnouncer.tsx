// Screen readers hear the run's progress from one polite live region, a sentence per step (not
// every streamed word); when a run ends with questions to pick from, focus moves to the first.
import { useEffect, useRef } from "react";
import type { RunState } from "@/hooks/useChatStream";

/** What a screen reader is told about the run now. */
export function announcement(run: RunState | undefined): string {
  if (!run) return "";
  if (run.status === "streaming") {
    if (run.reconnecting) return "Connection lost, resuming.";
    if (run.waiting !== null)
      return run.waiting === 0 ? "Waiting: next in line." : `Waiting, ${run.waiting} ahead.`;
    if (run.hasParams) return "Chart ready, finishing.";
    if (run.codeChars > 0) return "Writing the chart.";
    if (run.hasData) return "Data ready, writing the chart.";
    if (run.sql) return "Running the query.";
    return `Working on: ${run.prompt}`;
  }
  if (run.status === "cancelled") return "Stopped.";
  if (run.clarify) return `${run.clarify.question} Choose one of ${run.clarify.options.length} readings.`;
  if (run.error) {
    const count = run.error.suggestions?.length ?? 0;
    return count ? `${run.error.message} ${count} suggested questions follow.` : run.error.message;
  }
  return "Done. The chart is ready.";
}

export function RunAnnouncer({ run, idle }: { run: RunState | undefined; idle: boolean }) {
  const region = useRef<HTMLDivElement>(null);
  const text = announcement(run);
  const finishedWithChoices =
    idle &&
    run &&
    run.status !== "streaming" &&
    (run.clarify?.options.length || run.error?.suggestions?.length);
  const key = run?.key;
  useEffect(() => {
    if (!finishedWithChoices || !key) return;
    const first = document.querySelector<HTMLButtonElement>(
      `[data-run-key="${CSS.escape(key)}"] [data-testid=clarify-option], [data-run-key="${CSS.escape(key)}"] [data-testid=suggested-question]`,
    );
    first?.focus();
  }, [finishedWithChoices, key]);
  return (
    <div ref={region} role="status" aria-live="polite" className="sr-only" data-testid="run-announcer">
      {text}
    </div>
  );
}
