// The data the workspace asks about: the engines the user may use, the selected one, its catalog
// and the questions suggested on it. Changing the engine reloads the catalog and suggestions.
import { useEffect, useState } from "react";
import { api } from "@/lib/api";
import type { Engine, EngineCatalog } from "@/lib/api-schemas";

export interface CatalogState {
  engines: Engine[] | null;
  engine: string | null;
  setEngine: (name: string) => void;
  catalog: EngineCatalog | null;
  suggestions: string[] | null;
  error: string | null;
}

export function useCatalog(): CatalogState {
  const [engines, setEngines] = useState<Engine[] | null>(null);
  const [engine, setEngine] = useState<string | null>(null);
  const [catalog, setCatalog] = useState<EngineCatalog | null>(null);
  const [suggestions, setSuggestions] = useState<string[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    api.listEngines().then(
      (found) => {
        if (cancelled) return;
        setEngines(found.engines);
        setEngine(found.default ?? found.engines[0]?.name ?? null);
      },
      (e: Error) => !cancelled && setError(e.message),
    );
    return () => {
      cancelled = true;
    };
  }, []);

  useEffect(() => {
    if (!engine) return;
    let cancelled = false;
    setCatalog(null);
    setSuggestions(null);
    setError(null);
    api.getCatalog(engine).then(
      (found) => !cancelled && setCatalog(found.engines[0] ?? null),
      (e: Error) => !cancelled && setError(e.message),
    );
    api.getSuggestions(engine).then(
      (found) => !cancelled && setSuggestions(found.questions),
      () => !cancelled && setSuggestions([]),
    );
    return () => {
      cancelled = true;
    };
  }, [engine]);

  return { engines, engine, setEngine, catalog, suggestions, error };
}
