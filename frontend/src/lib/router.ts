// A small history-API router for the portal's client routes (/, /app/templates, /app/templates/<id>,
// /app/c/<conversation-id>); Django serves the same page for all of them, and for any other path
// (with status 404), which shows the not-found view. Back and forward move between them.
import { useCallback, useEffect, useState } from "react";

export type Route =
  | { name: "workspace"; conversationId: string | null }
  | { name: "templates" }
  | { name: "template"; id: string }
  | { name: "notFound"; path: string };

export function parseRoute(pathname: string): Route {
  const parts = pathname.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { name: "workspace", conversationId: null };
  if (parts[0] === "app") {
    if (parts[1] === "templates" && parts[2] && parts.length === 3) return { name: "template", id: parts[2] };
    if (parts[1] === "templates" && parts.length === 2) return { name: "templates" };
    if (parts[1] === "c" && parts[2] && parts.length === 3)
      return { name: "workspace", conversationId: parts[2] };
  }
  return { name: "notFound", path: pathname };
}

export function pathOf(route: Route): string {
  switch (route.name) {
    case "templates":
      return "/app/templates";
    case "template":
      return `/app/templates/${encodeURIComponent(route.id)}`;
    case "workspace":
      return route.conversationId ? `/app/c/${encodeURIComponent(route.conversationId)}` : "/";
    case "notFound":
      return route.path;
  }
}

/**
 * The current route and `navigate`. `visits` counts the user's moves (links, back, forward) but not
 * replacements (the URL naming a new conversation), so focus moves to a new page only on a move.
 */
export function useRoute() {
  const [route, setRoute] = useState<Route>(() => parseRoute(window.location.pathname));
  const [visits, setVisits] = useState(0);
  useEffect(() => {
    const onPop = () => {
      setRoute(parseRoute(window.location.pathname));
      setVisits((n) => n + 1);
    };
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, []);
  const navigate = useCallback((next: Route, opts: { replace?: boolean } = {}) => {
    const path = pathOf(next);
    if (path !== window.location.pathname) {
      if (opts.replace) window.history.replaceState(null, "", path);
      else window.history.pushState(null, "", path);
    }
    if (!opts.replace) setVisits((n) => n + 1);
    setRoute(next);
  }, []);
  return { route, navigate, visits };
}
