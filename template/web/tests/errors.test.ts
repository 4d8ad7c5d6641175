import { describe, expect, it } from "vitest";

import { describeFailure } from "../lib/errors";

describe("describeFailure", () => {
  it("uses the message the proxy wrote for people", async () => {
    const response = Response.json(
      { error: { code: "thread_not_found", message: "This conversation no longer exists." } },
      { status: 404 },
    );
    await expect(describeFailure(response)).resolves.toBe("This conversation no longer exists.");
  });

  it("leaves the body readable for whoever else handles the response", async () => {
    const response = Response.json({ error: { code: "x", message: "Nope." } }, { status: 400 });
    await describeFailure(response);
    await expect(response.json()).resolves.toEqual({ error: { code: "x", message: "Nope." } });
  });

  it.each([
    [502, "text/html", "<html>Bad gateway</html>", "The chat service is having trouble right now. Please try again in a moment."],
    [429, "application/json", "{}", "Too many requests at once. Please wait a moment, then try again."],
    [400, "application/json", '{"error": {"message": "  "}}', "The chat service could not handle that request. Please try again."],
  ])("falls back to a plain sentence for status %i without a usable message", async (status, type, body, expected) => {
    const response = new Response(body, { status, headers: { "content-type": type } });
    await expect(describeFailure(response)).resolves.toBe(expected);
  });
});
