// An address the portal does not know: say so, and offer the ways back (never the server's page).
import { LayoutGrid, MessageSquare } from "lucide-react";
import { Button } from "@/components/ui/button";
import type { Route } from "@/lib/router";

export function NotFoundPage({
  path,
  navigate,
  showWorkspace,
}: {
  path: string;
  navigate: (route: Route) => void;
  showWorkspace: boolean;
}) {
  return (
    <div className="grid h-full place-items-center p-6" data-testid="not-found">
      <div className="flex max-w-md flex-col items-center gap-3 text-center">
        <p className="text-sm font-semibold text-muted-foreground">404</p>
        <h1 className="text-xl font-semibold">This page does not exist</h1>
        <p className="break-all text-sm text-muted-foreground">
          There is nothing at <code>{path}</code>. The link may be old, or the address mistyped.
        </p>
        <div className="flex flex-wrap justify-center gap-2">
          {showWorkspace ? (
            <Button onClick={() => navigate({ name: "workspace", conversationId: null })}>
              <MessageSquare /> Ask a question
            </Button>
          ) : null}
          <Button variant="outline" onClick={() => navigate({ name: "templates" })}>
            <LayoutGrid /> Browse templates
          </Button>
        </div>
      </div>
    </div>
  );
}
