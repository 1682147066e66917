// The artifact's state, kept as the separate pieces docs/parameters.md names: isGenerating,
// generatedCode, currentParams and dataUrl (plus the controls, SQL and data format beside them).
import { useCallback, useMemo, useReducer } from "react";
import type { ParamControl } from "@/lib/api-schemas";
import type { DataFormat } from "@/lib/data";
import type { StreamEvent } from "@/lib/events";
import type { ParamValues } from "@/lib/params";

export interface ArtifactState {
  isGenerating: boolean;
  generatedCode: string;
  currentParams: ParamValues;
  dataUrl: string | null;
  dataFormat: DataFormat;
  controls: ParamControl[];
  sql: { engine: string; sql: string } | null;
  runId: string | null;
  /** True once the first code chunk of the current generation arrived (older code is replaced then). */
  codeStarted: boolean;
}

export const emptyArtifact: ArtifactState = {
  isGenerating: false,
  generatedCode: "",
  currentParams: {},
  dataUrl: null,
  dataFormat: "json",
  controls: [],
  sql: null,
  runId: null,
  codeStarted: false,
};

export type ArtifactAction =
  | { type: "start" }
  | { type: "event"; event: StreamEvent }
  | { type: "finish" }
  | { type: "setParams"; params: ParamValues }
  | { type: "load"; artifact: Partial<ArtifactState> };

export function artifactReducer(state: ArtifactState, action: ArtifactAction): ArtifactState {
  switch (action.type) {
    case "start":
      return { ...state, isGenerating: true, codeStarted: false };
    case "finish":
      return { ...state, isGenerating: false };
    case "setParams":
      return { ...state, currentParams: action.params };
    case "load":
      return { ...emptyArtifact, ...action.artifact };
    case "event": {
      const { event } = action;
      switch (event.kind) {
        case "run":
          return { ...state, runId: event.data.run_id };
        case "code":
          return state.codeStarted
            ? { ...state, generatedCode: state.generatedCode + event.data.content }
            : { ...state, generatedCode: event.data.content, codeStarted: true };
        case "params":
          return { ...state, currentParams: event.data.values, controls: event.data.controls ?? [] };
        case "data":
          return { ...state, dataUrl: event.data.url, dataFormat: event.data.format };
        case "sql":
          return { ...state, sql: { engine: event.data.engine, sql: event.data.sql } };
        case "done":
        case "error":
          return { ...state, isGenerating: false };
        default:
          return state;
      }
    }
  }
}

export function useArtifact(initial: ArtifactState = emptyArtifact) {
  const [artifact, dispatch] = useReducer(artifactReducer, initial);
  const setParams = useCallback((params: ParamValues) => dispatch({ type: "setParams", params }), []);
  return useMemo(() => ({ artifact, dispatch, setParams }), [artifact, setParams]);
}
