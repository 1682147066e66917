// Prompt input: Enter sends, Shift+Enter adds a newline, Esc (or Stop) cancels the running stream.
// A counter shows the length against the server's limit (from the generated request schema);
// `insert` adds words to the draft from outside (a column or metric clicked in the catalog).
import { ArrowUp, Square } from "lucide-react";
import { useEffect, useId, useRef, useState } from "react";
import { Button } from "@/components/ui/button";
import { Textarea } from "@/components/ui/textarea";
import { ChatInSchema } from "@/lib/generated/zod";
import { cn } from "@/lib/utils";

/** The longest prompt the server takes, in characters (code points, as Pydantic counts them). */
export const PROMPT_MAX_LENGTH = ChatInSchema.shape.prompt.maxLength ?? 4000;

export function promptLength(text: string): number {
  return Array.from(text).length;
}

export function PromptBox({
  onSend,
  onStop,
  isStreaming,
  placeholder,
  insert,
  maxLength = PROMPT_MAX_LENGTH,
}: {
  onSend: (prompt: string) => void;
  onStop: () => void;
  isStreaming: boolean;
  placeholder: string;
  insert?: { text: string; nonce: number } | null;
  maxLength?: number;
}) {
  const [text, setText] = useState("");
  const input = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    if (!insert) return;
    setText((draft) => (draft.trim() ? `${draft.trimEnd()} ${insert.text}` : insert.text));
    input.current?.focus();
  }, [insert]);
  const counterId = useId();
  const length = promptLength(text);
  const over = length > maxLength;
  const submit = () => {
    if (isStreaming || !text.trim() || over) return;
    onSend(text);
    setText("");
  };
  return (
    <form
      className="flex flex-col gap-1 rounded-lg border bg-card p-2 shadow-sm"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <div className="flex items-end gap-2">
        <Textarea
          ref={input}
          aria-label="Prompt"
          aria-describedby={counterId}
          aria-invalid={over || undefined}
          data-testid="prompt-input"
          value={text}
          placeholder={placeholder}
          rows={2}
          className="max-h-48 min-h-[44px] resize-none border-0 shadow-none focus-visible:ring-0"
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
              e.preventDefault();
              submit();
            } else if (e.key === "Escape" && isStreaming) {
              e.preventDefault();
              onStop();
            }
          }}
        />
        {isStreaming ? (
          <Button
            type="button"
            variant="destructive"
            size="icon"
            aria-label="Stop"
            data-testid="stop-button"
            onClick={onStop}
          >
            <Square />
          </Button>
        ) : (
          <Button
            type="submit"
            size="icon"
            aria-label="Send"
            data-testid="send-button"
            disabled={!text.trim() || over}
          >
            <ArrowUp />
          </Button>
        )}
      </div>
      <p
        id={counterId}
        data-testid="prompt-counter"
        aria-live={over ? "polite" : "off"}
        className={cn(
          "px-1 text-right text-xs tabular-nums text-muted-foreground",
          over && "text-destructive",
        )}
      >
        {over
          ? `${(length - maxLength).toLocaleString()} ${length - maxLength === 1 ? "character" : "characters"} too long: a question can have at most ${maxLength.toLocaleString()}.`
          : `${length.toLocaleString()} / ${maxLength.toLocaleString()}`}
      </p>
    </form>
  );
}
