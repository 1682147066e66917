// Highlighted, copyable code (TSX or SQL). highlight.js escapes the source before adding markup.
import hljs from "highlight.js/lib/core";
import sql from "highlight.js/lib/languages/sql";
import typescript from "highlight.js/lib/languages/typescript";
import { Check, Copy } from "lucide-react";
import { useMemo, useState } from "react";
import { Button } from "@/components/ui/button";
import { cn } from "@/lib/utils";

hljs.registerLanguage("typescript", typescript);
hljs.registerLanguage("sql", sql);

export function CodeBlock({
  code,
  language,
  className,
  testId,
  label,
}: {
  code: string;
  language: "typescript" | "sql";
  className?: string;
  testId?: string;
  label?: string;
}) {
  const [copied, setCopied] = useState(false);
  const html = useMemo(
    () => hljs.highlight(code, { language, ignoreIllegals: true }).value,
    [code, language],
  );
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(code);
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    } catch {
      setCopied(false);
    }
  };
  return (
    <div className={cn("group relative rounded-md border bg-muted/50", className)} data-testid={testId}>
      <Button
        variant="ghost"
        size="icon"
        className="absolute right-1 top-1 h-7 w-7 opacity-70 hover:opacity-100"
        onClick={copy}
        aria-label={label ? `Copy ${label}` : "Copy"}
      >
        {copied ? <Check /> : <Copy />}
      </Button>
      <pre className="overflow-auto p-3 pr-10 text-xs leading-relaxed">
        {/* biome-ignore lint/security/noDangerouslySetInnerHtml: highlight.js output is escaped source plus span markup */}
        <code className="hljs font-mono" dangerouslySetInnerHTML={{ __html: html }} />
      </pre>
    </div>
  );
}
