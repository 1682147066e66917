import { describe, expect, it } from "vitest";
import { artifactReducer, emptyArtifact } from "@/hooks/useArtifact";
import { applyRunEvent, joinThought, type RunState, withoutEcho } from "@/hooks/useChatStream";
import { parseStreamEvent, type StreamEvent } from "@/lib/events";

function ev(event: string, data: unknown, id?: string): StreamEvent {
  const parsed = parseStreamEvent({ event, data: JSON.stringify(data), id });
  if (!parsed) throw new Error(`unknown event ${event}`);
  return parsed;
}

const run: RunState = {
  key: "k",
  prompt: "Show total sales by region",
  runId: null,
  status: "streaming",
  thoughts: "",
  sql: null,
  codeChars: 0,
  progress: null,
  waiting: null,
  error: null,
  clarify: null,
  hasData: false,
  hasParams: false,
  reconnecting: false,
};

describe("run state", () => {
  it("joins whole-sentence thoughts with a space and token streams as they come", () => {
    expect(joinThought("Analyzing your request...", "Measuring sales.")).toBe(
      "Analyzing your request... Measuring sales.",
    );
    expect(joinThought("Group", "ing by region")).toBe("Grouping by region");
    expect(joinThought("Costs are 3.", "5 units")).toBe("Costs are 3.5 units");
  });

  it("follows a stream from run to done, keeping the error's stage", () => {
    const events = [
      ev("run", { type: "run", run_id: "r1", conversation_id: "c1" }),
      ev("sql", { type: "sql", engine: "local", sql: "SELECT 1" }),
      ev("progress", { type: "progress", stage: "Stage 1", done: 2, total: 8 }),
      ev("error", { type: "error", message: "boom", stage: "sql_execution" }),
      ev("done", { type: "complete", code_complete: false, data_ready: false }),
    ];
    const final = events.reduce(applyRunEvent, run);
    expect(final).toMatchObject({
      runId: "r1",
      sql: { engine: "local", sql: "SELECT 1" },
      progress: { done: 2, total: 8 },
      status: "error",
      error: { message: "boom", stage: "sql_execution" },
    });
  });
});

describe("a question back", () => {
  it("keeps the question and its options, and ends complete without data", () => {
    const events = [
      ev("run", { type: "run", run_id: "r2", conversation_id: "c1" }),
      ev("clarify", {
        type: "clarify",
        question: "Which column do you mean by “name”?",
        options: ["Sales by store name", "Sales by product name"],
      }),
      ev("done", { type: "complete", code_complete: false, data_ready: false }),
    ];
    const final = events.reduce(applyRunEvent, run);
    expect(final).toMatchObject({
      status: "complete",
      hasData: false,
      clarify: {
        question: "Which column do you mean by “name”?",
        options: ["Sales by store name", "Sales by product name"],
      },
    });
  });

  it("marks a refusal as declined", () => {
    const declined = ev("error", {
      type: "error",
      message: "I can't",
      stage: "code_generation",
      code: "declined",
    });
    expect(applyRunEvent(run, declined).error).toMatchObject({ code: "declined" });
  });
});

describe("artifact state", () => {
  it("keeps isGenerating, generatedCode, currentParams and dataUrl apart", () => {
    let state = artifactReducer({ ...emptyArtifact, generatedCode: "old code" }, { type: "start" });
    expect(state.isGenerating).toBe(true);
    // The previous component stays until the new one starts streaming.
    expect(state.generatedCode).toBe("old code");
    for (const event of [
      ev("run", { type: "run", run_id: "r2", conversation_id: "c1" }),
      ev("data", { type: "data_ready", url: "/api/data/x", size: "large", format: "parquet" }),
      ev("code", { type: "code_chunk", language: "tsx", content: "export default " }),
      ev("code", { type: "code_chunk", language: "tsx", content: "function Viz() {}" }),
      ev("params", {
        type: "parameters",
        values: { title: "T", chart_type: "bar", color_scheme: "default" },
        controls: [{ name: "title", kind: "text", label: "Title" }],
      }),
    ]) {
      state = artifactReducer(state, { type: "event", event });
    }
    expect(state).toMatchObject({
      isGenerating: true,
      runId: "r2",
      generatedCode: "export default function Viz() {}",
      dataUrl: "/api/data/x",
      dataFormat: "parquet",
      currentParams: { title: "T", chart_type: "bar" },
    });
    state = artifactReducer(state, {
      type: "event",
      event: ev("done", { type: "complete", code_complete: true, data_ready: true }),
    });
    expect(state.isGenerating).toBe(false);
    const tuned = artifactReducer(state, {
      type: "setParams",
      params: { ...state.currentParams, title: "New" },
    });
    expect(tuned.currentParams.title).toBe("New");
    expect(tuned.generatedCode).toBe(state.generatedCode);
    expect(tuned.dataUrl).toBe(state.dataUrl);
  });
});

describe("a refusal or a question back is shown once", () => {
  const decline = "I can't answer that: the built-in analyst does not compute \u201cmedian\u201d.";

  it("drops the streamed prose that the decline's message repeats, and keeps its suggestions", () => {
    let state = applyRunEvent(run, ev("thought", { type: "thinking", content: "Analyzing your request..." }));
    state = applyRunEvent(state, ev("thought", { type: "thinking", content: decline }));
    state = applyRunEvent(
      state,
      ev("error", {
        type: "error",
        message: decline,
        stage: "code_generation",
        code: "declined",
        suggestions: ["Number of orders by status"],
      }),
    );
    expect(state.thoughts).toBe("Analyzing your request...");
    expect(state.error?.message).toBe(decline);
    expect(state.error?.suggestions).toEqual(["Number of orders by status"]);
  });

  it("drops a question back from the thoughts, whatever the chunks' spacing", () => {
    const question = "Which column do you mean by \u201cname\u201d?";
    const state = applyRunEvent(
      { ...run, thoughts: "Analyzing your request... Which column do you mean by\n\u201cname\u201d?" },
      ev("clarify", { type: "clarify", question, options: ["Show sales by store name"] }),
    );
    expect(state.thoughts).toBe("Analyzing your request...");
    expect(state.clarify?.question).toBe(question);
  });

  it("keeps thoughts that do not end with the message", () => {
    expect(withoutEcho("Running the query.", "The engine could not be reached.")).toBe("Running the query.");
  });
});

describe("a run waiting for a free slot", () => {
  it("shows its place in the line, then the run's own progress once it starts", () => {
    const progress = (data: Record<string, unknown>) =>
      ev("progress", { type: "progress", stage: "s", done: 0, total: 0, ...data });
    let state = applyRunEvent(run, progress({ position: 3 }));
    expect(state.waiting).toBe(2);
    expect(state.progress).toBeNull();
    state = applyRunEvent(state, progress({ position: 1 }));
    expect(state.waiting).toBe(0);
    state = applyRunEvent(state, progress({ position: 0, stage: "Started" }));
    expect(state.waiting).toBeNull();
    expect(state.progress).toBeNull();
    state = applyRunEvent(state, progress({ stage: "Spark tasks", done: 2, total: 4 }));
    expect(state.progress).toEqual({ stage: "Spark tasks", done: 2, total: 4 });
  });
});
