// Maps one SSE message (event name + JSON data) to a typed stream event, validated with the Zod
// schemas generated from the backend's Pydantic models. Malformed input becomes an "invalid" event
// that the UI shows as an error; it is never rendered.
import type { z } from "zod";
import {
  CodeChunkEventSchema,
  CompleteEventSchema,
  DataReadyEventSchema,
  ErrorEventSchema,
  ParamsEventSchema,
  ProgressEventSchema,
  RunStartedEventSchema,
  SqlEventSchema,
  ThoughtEventSchema,
} from "@/lib/generated/zod";

const schemas = {
  run: RunStartedEventSchema,
  thought: ThoughtEventSchema,
  sql: SqlEventSchema,
  code: CodeChunkEventSchema,
  data: DataReadyEventSchema,
  params: ParamsEventSchema,
  progress: ProgressEventSchema,
  error: ErrorEventSchema,
  done: CompleteEventSchema,
} as const;

export type StreamEventName = keyof typeof schemas;

type Known = {
  [K in StreamEventName]: { kind: K; id: string | undefined; data: z.infer<(typeof schemas)[K]> };
}[StreamEventName];

export type InvalidEvent = { kind: "invalid"; id: string | undefined; event: string; message: string };
export type StreamEvent = Known | InvalidEvent;

export type RunEventData = z.infer<typeof RunStartedEventSchema>;
export type ParamsEventData = z.infer<typeof ParamsEventSchema>;
export type DataReadyData = z.infer<typeof DataReadyEventSchema>;
export type ErrorEventData = z.infer<typeof ErrorEventSchema>;
export type ProgressEventData = z.infer<typeof ProgressEventSchema>;

export interface RawSseMessage {
  event?: string | undefined;
  data: string;
  id?: string | undefined;
}

function isKnownEvent(name: string): name is StreamEventName {
  return Object.hasOwn(schemas, name);
}

/** Parses one SSE message. Returns null for event types this client does not know (SSE allows them). */
export function parseStreamEvent(message: RawSseMessage): StreamEvent | null {
  const name = message.event ?? "message";
  if (!isKnownEvent(name)) return null;
  let json: unknown;
  try {
    json = JSON.parse(message.data);
  } catch {
    return {
      kind: "invalid",
      id: message.id,
      event: name,
      message: `The "${name}" event is not valid JSON.`,
    };
  }
  const parsed = schemas[name].safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? ` at ${issue.path.join(".")}` : "";
    return {
      kind: "invalid",
      id: message.id,
      event: name,
      message: `The "${name}" event is malformed${where}: ${issue?.message ?? "invalid"}.`,
    };
  }
  return { kind: name, id: message.id, data: parsed.data } as Known;
}
