// Prompt input: Enter sends, Shift+Enter adds a newline, Esc (or Stop) cancels the running stream.
// `insert` adds words to the draft from outside (a column or metric clicked in the catalog).
import { ArrowUp, Square } from "lucide-react";
import { useEffect, useRef, useState } from "react";
import { Button } from "@/components/ui/button";
import { Textarea } from "@/components/ui/textarea";

export function PromptBox({
  onSend,
  onStop,
  isStreaming,
  placeholder,
  insert,
}: {
  onSend: (prompt: string) => void;
  onStop: () => void;
  isStreaming: boolean;
  placeholder: string;
  insert?: { text: string; nonce: number } | null;
}) {
  const [text, setText] = useState("");
  const input = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    if (!insert) return;
    setText((draft) => (draft.trim() ? `${draft.trimEnd()} ${insert.text}` : insert.text));
    input.current?.focus();
  }, [insert]);
  const submit = () => {
    if (isStreaming || !text.trim()) return;
    onSend(text);
    setText("");
  };
  return (
    <form
      className="flex items-end gap-2 rounded-lg border bg-card p-2 shadow-sm"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <Textarea
        ref={input}
        aria-label="Prompt"
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
        <Button type="submit" size="icon" aria-label="Send" data-testid="send-button" disabled={!text.trim()}>
          <ArrowUp />
        </Button>
      )}
    </form>
  );
}
