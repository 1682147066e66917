// The portal shell: header, client routes, theme.
import { useEffect, useRef, useState } from "react";
import { SandboxHost } from "@/components/artifact/SandboxHost";
import { Header } from "@/components/Header";
import { TooltipProvider } from "@/components/ui/tooltip";
import { useTheme } from "@/hooks/useTheme";
import { type Boot, canChat } from "@/lib/boot";
import { type Route, useRoute } from "@/lib/router";
import { NotFoundPage } from "@/pages/NotFoundPage";
import { TemplatePage } from "@/pages/TemplatePage";
import { TemplatesPage } from "@/pages/TemplatesPage";
import { WorkspacePage } from "@/pages/WorkspacePage";

const LAST_CONVERSATION = "vizorch-last-conversation";

export function App({ boot }: { boot: Boot }) {
  const { theme, toggle } = useTheme();
  const { route, navigate, visits } = useRoute();
  const main = useRef<HTMLElement>(null);
  // A move to another page (a link, back, forward) puts focus at the start of the new content.
  useEffect(() => {
    if (visits > 0) main.current?.focus();
  }, [visits]);
  const chatAllowed = canChat(boot);
  // Viewers have no workspace: their home is the gallery.
  const effective = route.name === "workspace" && !chatAllowed ? ({ name: "templates" } as const) : route;
  // "Ask" returns to the conversation you left for the gallery (it is reloaded from the server).
  const [lastConversation, setLastConversation] = useState<string | null>(() =>
    window.sessionStorage.getItem(LAST_CONVERSATION),
  );
  useEffect(() => {
    if (route.name !== "workspace") return;
    setLastConversation(route.conversationId);
    if (route.conversationId) window.sessionStorage.setItem(LAST_CONVERSATION, route.conversationId);
    else window.sessionStorage.removeItem(LAST_CONVERSATION);
  }, [route]);
  const go = (next: Route) =>
    navigate(
      next.name === "workspace" && next.conversationId === null
        ? { ...next, conversationId: lastConversation }
        : next,
    );

  return (
    <TooltipProvider delayDuration={300}>
      <SandboxHost sandboxUrl={boot.sandboxUrl}>
        <div className="flex h-screen flex-col">
          <Header
            boot={boot}
            route={effective}
            navigate={go}
            theme={theme}
            onToggleTheme={toggle}
            showWorkspace={chatAllowed}
          />
          <main ref={main} tabIndex={-1} className="min-h-0 flex-1 outline-none" aria-label="Content">
            {effective.name === "notFound" ? (
              <NotFoundPage path={effective.path} navigate={navigate} showWorkspace={chatAllowed} />
            ) : effective.name === "workspace" ? (
              <WorkspacePage conversationId={effective.conversationId} navigate={navigate} theme={theme} />
            ) : effective.name === "templates" ? (
              <TemplatesPage boot={boot} navigate={navigate} />
            ) : (
              <TemplatePage key={effective.id} id={effective.id} navigate={navigate} theme={theme} />
            )}
          </main>
        </div>
      </SandboxHost>
    </TooltipProvider>
  );
}
