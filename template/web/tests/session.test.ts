import { describe, expect, it, vi } from "vitest";

import { SessionClient, SessionError, type SessionClientOptions } from "../lib/session";

const NOW = 1_800_000_000_000;

function tokenResponse(secret: string, expiresInSeconds = 900): Response {
  return Response.json({ client_secret: secret, expires_at: NOW / 1000 + expiresInSeconds });
}

function setup(options: SessionClientOptions = {}) {
  const clock = { now: NOW };
  const sleeps: number[] = [];
  const fetch = vi.fn<typeof globalThis.fetch>();
  const client = new SessionClient({
    fetch,
    now: () => clock.now,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    ...options,
  });
  return { client, fetch, clock, sleeps };
}

function sessionCalls(fetch: ReturnType<typeof setup>["fetch"]): number {
  return fetch.mock.calls.filter(([url]) => url === "/api/custom/session").length;
}

describe("getToken", () => {
  it("creates a session with a same-origin POST", async () => {
    const { client, fetch } = setup();
    fetch.mockResolvedValueOnce(tokenResponse("s1"));

    await expect(client.getToken()).resolves.toBe("s1");
    expect(fetch).toHaveBeenCalledWith(
      "/api/custom/session",
      expect.objectContaining({ method: "POST", credentials: "same-origin" }),
    );
  });

  it("reuses the token until shortly before it expires", async () => {
    const { client, fetch, clock } = setup();
    fetch.mockResolvedValueOnce(tokenResponse("s1", 900)).mockResolvedValueOnce(tokenResponse("s2", 900));

    await client.getToken();
    clock.now = NOW + 839_000; // 61 s before expiry
    await expect(client.getToken()).resolves.toBe("s1");
    clock.now = NOW + 841_000; // 59 s before expiry
    await expect(client.getToken()).resolves.toBe("s2");
    expect(fetch).toHaveBeenCalledTimes(2);
  });

  it("honours a custom refresh margin", async () => {
    const { client, fetch, clock } = setup({ refreshMarginMs: 300_000 });
    fetch.mockResolvedValueOnce(tokenResponse("s1", 900)).mockResolvedValueOnce(tokenResponse("s2", 900));

    await client.getToken();
    clock.now = NOW + 601_000;
    await expect(client.getToken()).resolves.toBe("s2");
  });

  it("keeps a token shorter-lived than the margin for half its life", async () => {
    const { client, fetch, clock } = setup();
    fetch.mockResolvedValueOnce(tokenResponse("s1", 30)).mockResolvedValueOnce(tokenResponse("s2", 30));

    await client.getToken();
    clock.now = NOW + 14_000;
    await expect(client.getToken()).resolves.toBe("s1");
    clock.now = NOW + 16_000;
    await expect(client.getToken()).resolves.toBe("s2");
  });

  it("shares one in-flight request between concurrent callers", async () => {
    const { client, fetch } = setup();
    let answer: (response: Response) => void = () => {};
    fetch.mockReturnValueOnce(new Promise((resolve) => (answer = resolve)));

    const calls = [client.getToken(), client.getToken(), client.getToken()];
    answer(tokenResponse("s1"));

    await expect(Promise.all(calls)).resolves.toEqual(["s1", "s1", "s1"]);
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it("retries 5xx, 429 and network errors with growing, capped delays", async () => {
    const { client, fetch, sleeps } = setup({ maxAttempts: 5 });
    fetch
      .mockResolvedValueOnce(new Response("", { status: 502 }))
      .mockRejectedValueOnce(new TypeError("fetch failed"))
      .mockResolvedValueOnce(new Response("", { status: 429 }))
      .mockResolvedValueOnce(new Response("", { status: 503 }))
      .mockResolvedValueOnce(tokenResponse("s1"));

    await expect(client.getToken()).resolves.toBe("s1");
    // random() = 0.5 puts each delay at 3/4 of its ceiling: 250, 500, 1000, 2000 (capped).
    expect(sleeps).toEqual([187.5, 375, 750, 1500]);
  });

  it("waits as long as Retry-After asks, within the cap", async () => {
    const { client, fetch, sleeps } = setup();
    fetch
      .mockResolvedValueOnce(new Response("", { status: 429, headers: { "retry-after": "1" } }))
      .mockResolvedValueOnce(new Response("", { status: 503, headers: { "retry-after": "120" } }))
      .mockResolvedValueOnce(tokenResponse("s1"));

    await client.getToken();
    expect(sleeps).toEqual([1000, 2000]);
  });

  it.each([400, 401, 403, 404])("does not retry a %i", async (status) => {
    const { client, fetch, sleeps } = setup();
    fetch.mockResolvedValueOnce(new Response("", { status }));

    const error = await client.getToken().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionError);
    expect(error).toMatchObject({ kind: "rejected", status });
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(sleeps).toEqual([]);
  });

  it("gives up after the last attempt with a readable typed error", async () => {
    const { client, fetch } = setup();
    fetch.mockRejectedValue(new TypeError("fetch failed"));

    const error = await client.getToken().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionError);
    expect(error).toMatchObject({ kind: "unavailable", name: "SessionError" });
    expect((error as SessionError).message).toMatch(/not reachable/);
    expect((error as SessionError).cause).toBeInstanceOf(TypeError);
    expect(fetch).toHaveBeenCalledTimes(4);
  });

  it("rejects an answer without a client secret", async () => {
    const { client, fetch } = setup();
    fetch.mockResolvedValueOnce(Response.json({ token: "x" }));

    await expect(client.getToken()).rejects.toMatchObject({ kind: "invalid_response" });
  });

  it("tries again on the next call after giving up", async () => {
    const { client, fetch } = setup({ maxAttempts: 1 });
    fetch.mockRejectedValueOnce(new TypeError("fetch failed")).mockResolvedValueOnce(tokenResponse("s1"));

    await expect(client.getToken()).rejects.toBeInstanceOf(SessionError);
    await expect(client.getToken()).resolves.toBe("s1");
  });
});

describe("authFetch", () => {
  function route(fetch: ReturnType<typeof setup>["fetch"], chatkit: (auth: string | null) => Response) {
    let minted = 0;
    fetch.mockImplementation(async (input, init) => {
      if (input === "/api/custom/session") return tokenResponse(`s${++minted}`);
      return chatkit(new Headers(init?.headers).get("authorization"));
    });
  }

  it("attaches the bearer token and keeps the caller's headers and body", async () => {
    const { client, fetch } = setup();
    route(fetch, () => new Response("ok"));

    const response = await client.authFetch("/api/chatkit", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"type":"threads.list"}',
    });

    expect(await response.text()).toBe("ok");
    const [, init] = fetch.mock.calls[1]!;
    const headers = new Headers(init?.headers);
    expect(headers.get("authorization")).toBe("Bearer s1");
    expect(headers.get("content-type")).toBe("application/json");
    expect(init?.body).toBe('{"type":"threads.list"}');
  });

  it("refreshes the token on a 401 and retries once with the same body", async () => {
    const { client, fetch } = setup();
    route(fetch, (auth) => new Response(auth, { status: auth === "Bearer s1" ? 401 : 200 }));

    const response = await client.authFetch("/api/chatkit", { method: "POST", body: "payload" });

    expect(response.status).toBe(200);
    expect(await response.text()).toBe("Bearer s2");
    expect(sessionCalls(fetch)).toBe(2);
    const chatkitBodies = fetch.mock.calls.filter(([url]) => url === "/api/chatkit").map(([, init]) => init?.body);
    expect(chatkitBodies).toEqual(["payload", "payload"]);
  });

  it("returns the second 401 instead of retrying again", async () => {
    const { client, fetch } = setup();
    route(fetch, () => new Response("nope", { status: 401 }));

    const response = await client.authFetch("/api/chatkit", { method: "POST", body: "payload" });

    expect(response.status).toBe(401);
    expect(fetch.mock.calls.filter(([url]) => url === "/api/chatkit")).toHaveLength(2);
    expect(sessionCalls(fetch)).toBe(2);
  });

  it("replays a Request input whose body was already sent", async () => {
    const { client, fetch } = setup();
    const bodies: string[] = [];
    fetch.mockImplementation(async (input, init) => {
      if (input === "/api/custom/session") return tokenResponse(`s${bodies.length + 1}`);
      bodies.push(await new Request(input as Request, init).text());
      return new Response(null, { status: bodies.length === 1 ? 401 : 204 });
    });

    const request = new Request("http://localhost/api/chatkit", { method: "POST", body: "payload" });
    const response = await client.authFetch(request);

    expect(response.status).toBe(204);
    expect(bodies).toEqual(["payload", "payload"]);
  });

  it("does not retry a streamed body it cannot send twice", async () => {
    const { client, fetch } = setup();
    route(fetch, () => new Response(null, { status: 401 }));

    const body = new ReadableStream({ start: (c) => c.close() });
    const response = await client.authFetch("/api/chatkit", { method: "POST", body, duplex: "half" } as RequestInit);

    expect(response.status).toBe(401);
    expect(sessionCalls(fetch)).toBe(1);
  });

  it("does not throw away a token that a concurrent refresh already replaced", async () => {
    const { client, fetch } = setup();
    route(fetch, () => new Response("ok"));
    await client.getToken();
    client.invalidate("s1");
    await client.getToken(); // now s2
    client.invalidate("s1"); // a late 401 for the old token

    await expect(client.getToken()).resolves.toBe("s2");
    expect(sessionCalls(fetch)).toBe(2);
  });

  it("passes session failures to the caller as SessionError", async () => {
    const { client, fetch } = setup({ maxAttempts: 1 });
    fetch.mockResolvedValue(new Response("", { status: 500 }));

    await expect(client.authFetch("/api/chatkit", { method: "POST", body: "x" })).rejects.toBeInstanceOf(SessionError);
  });
});
