import { describe, expect, it } from "vitest";
import { parseRoute, pathOf } from "@/lib/router";

describe("routes", () => {
  it("reads the portal's own paths and round-trips them", () => {
    for (const path of ["/", "/app/templates", "/app/templates/t-1", "/app/c/c-1"]) {
      expect(pathOf(parseRoute(path))).toBe(path);
    }
    expect(parseRoute("/app/c/c-1")).toEqual({ name: "workspace", conversationId: "c-1" });
  });

  it("names any other path as not found, not as the workspace", () => {
    expect(parseRoute("/no/such/page")).toEqual({ name: "notFound", path: "/no/such/page" });
    expect(parseRoute("/app/nothing")).toMatchObject({ name: "notFound" });
    expect(parseRoute("/app/templates/t-1/extra")).toMatchObject({ name: "notFound" });
  });
});
