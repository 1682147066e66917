// A small history-API router for the portal's client routes (/, /app/templates, /app/templates/<id>,
// /app/c/<conversation-id>); Django serves the same page for all of them.
import { useCallback, useEffect, useState } from "react";

export type Route =
  | { name: "workspace"; conversationId: string | null }
  | { name: "templates" }
  | { name: "template"; id: string };

export function parseRoute(pathname: string): Route {
  const parts = pathname.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "app") {
    if (parts[1] === "templates" && parts[2]) return { name: "template", id: parts[2] };
    if (parts[1] === "templates") return { name: "templates" };
    if (parts[1] === "c" && parts[2]) return { name: "workspace", conversationId: parts[2] };
  }
  return { name: "workspace", conversationId: null };
}

export function pathOf(route: Route): string {
  switch (route.name) {
    case "templates":
      return "/app/templates";
    case "template":
      return `/app/templates/${encodeURIComponent(route.id)}`;
    case "workspace":
      return route.conversationId ? `/app/c/${encodeURIComponent(route.conversationId)}` : "/";
  }
}

export function useRoute() {
  const [route, setRoute] = useState<Route>(() => parseRoute(window.location.pathname));
  useEffect(() => {
    const onPop = () => setRoute(parseRoute(window.location.pathname));
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, []);
  const navigate = useCallback((next: Route, opts: { replace?: boolean } = {}) => {
    const path = pathOf(next);
    if (path !== window.location.pathname) {
      if (opts.replace) window.history.replaceState(null, "", path);
      else window.history.pushState(null, "", path);
    }
    setRoute(next);
  }, []);
  return { route, navigate };
}
