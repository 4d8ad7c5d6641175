import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";

import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";

import { POST as postToChatKit } from "../app/api/chatkit/route";
import { appendPeerAddress } from "../lib/peerAddress";
import { forwardToProxy } from "../lib/proxy";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let handler: Handler;
let proxyUrl: string;

beforeAll(async () => {
  server = createServer((req, res) => handler(req, res));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  proxyUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

function useProxy(url = proxyUrl) {
  vi.stubEnv("PROXY_URL", url);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => resolve(body));
    req.on("error", reject);
  });
}

describe("forwardToProxy", () => {
  it("forwards method, path, body and only the allowed request headers", async () => {
    useProxy();
    let seen: { method?: string; url?: string; headers: IncomingMessage["headers"]; body: string } | undefined;
    handler = async (req, res) => {
      seen = { method: req.method, url: req.url, headers: req.headers, body: await readBody(req) };
      res.setHeader("content-type", "application/json");
      res.end('{"ok":true}');
    };

    const request = new Request("http://localhost:3000/api/chatkit", {
      method: "POST",
      body: '{"type":"threads.list","params":{}}',
      headers: {
        "content-type": "application/json",
        authorization: "Bearer secret",
        cookie: "chatkit_uid=abc",
        accept: "text/event-stream",
        "accept-language": "fr",
        "x-request-id": "req-1",
        origin: "http://localhost:3000",
        "sec-fetch-site": "same-origin",
        host: "evil.example",
        // Not seen by the peer-address hook (lib/peerAddress.ts), so not passed on.
        "x-forwarded-for": "10.0.0.1",
        "x-peer-address-seen": "guess",
        "x-custom": "nope",
        "proxy-authorization": "Basic xyz",
        te: "trailers",
        upgrade: "websocket",
        "keep-alive": "timeout=5",
        "transfer-encoding": "chunked",
        referer: "http://localhost:3000/",
      },
    });
    const response = await forwardToProxy(request, "/chatkit");

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
    expect(seen?.method).toBe("POST");
    expect(seen?.url).toBe("/chatkit");
    expect(seen?.body).toBe('{"type":"threads.list","params":{}}');
    expect(seen?.headers).toMatchObject({
      "content-type": "application/json",
      authorization: "Bearer secret",
      cookie: "chatkit_uid=abc",
      accept: "text/event-stream",
      "accept-language": "fr",
      "x-request-id": "req-1",
      origin: "http://localhost:3000",
      "sec-fetch-site": "same-origin",
      "x-forwarded-proto": "http",
    });
    expect(seen?.headers.host).toBe(new URL(proxyUrl).host);
    for (const leaked of [
      "x-forwarded-for",
      "x-peer-address-seen",
      "x-custom",
      "proxy-authorization",
      "te",
      "upgrade",
      "keep-alive",
      "referer",
    ]) {
      expect(seen?.headers, leaked).not.toHaveProperty(leaked);
    }
  });

  it("sends a GET without a body", async () => {
    useProxy();
    let seen: { method?: string; url?: string; body: string } | undefined;
    handler = async (req, res) => {
      seen = { method: req.method, url: req.url, body: await readBody(req) };
      res.setHeader("content-type", "application/json");
      res.end('{"data":[]}');
    };

    const response = await forwardToProxy(new Request("http://localhost:3000/api/custom/models"), "/api/custom/models");

    expect(await response.json()).toEqual({ data: [] });
    expect(seen).toEqual({ method: "GET", url: "/api/custom/models", body: "" });
  });

  it("passes back status, every set-cookie and only the allowed response headers", async () => {
    useProxy();
    handler = (_req, res) => {
      res.writeHead(401, {
        "content-type": "application/json",
        "set-cookie": ["chatkit_uid=abc; Path=/; HttpOnly; SameSite=Lax", "other=1; Path=/"],
        "www-authenticate": "Bearer",
        "retry-after": "3",
        server: "uvicorn",
        "x-internal": "secret",
        "content-encoding": "identity",
      });
      res.end('{"error":{"code":"invalid_token","message":"expired"}}');
    };

    const response = await forwardToProxy(
      new Request("http://localhost:3000/api/custom/session", { method: "POST" }),
      "/api/custom/session",
    );

    expect(response.status).toBe(401);
    expect(response.headers.getSetCookie()).toEqual([
      "chatkit_uid=abc; Path=/; HttpOnly; SameSite=Lax",
      "other=1; Path=/",
    ]);
    expect(response.headers.get("www-authenticate")).toBe("Bearer");
    expect(response.headers.get("retry-after")).toBe("3");
    expect(response.headers.get("server")).toBeNull();
    expect(response.headers.get("x-internal")).toBeNull();
    expect(response.headers.get("content-encoding")).toBeNull();
    expect(response.headers.get("x-accel-buffering")).toBeNull();
    expect(await response.json()).toMatchObject({ error: { code: "invalid_token" } });
  });

  it("streams an event stream through without buffering it", async () => {
    useProxy();
    let writeRest = () => {};
    handler = (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      res.write('data: {"n":1}\n\n');
      // The rest comes only once the client has read the first event, so a relay that waits for
      // the whole answer never returns that read (and the test times out).
      writeRest = () => res.end('data: {"n":2}\n\n');
    };

    const response = await forwardToProxy(
      new Request("http://localhost:3000/api/chatkit", { method: "POST", body: "{}" }),
      "/chatkit",
    );

    expect(response.headers.get("content-type")).toBe("text/event-stream");
    expect(response.headers.get("cache-control")).toBe("no-cache, no-transform");
    expect(response.headers.get("x-accel-buffering")).toBe("no");
    expect(response.headers.get("connection")).toBe("keep-alive");

    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    const first = await reader.read();
    expect(first.value).toBe('data: {"n":1}\n\n');

    writeRest();
    let rest = "";
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += chunk.value;
    expect(rest).toBe('data: {"n":2}\n\n');
  });

  it("closes the upstream connection when the client goes away", async () => {
    useProxy();
    const upstreamClosed = new Promise<void>((resolve) => {
      handler = (req, res) => {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write("data: first\n\n");
        const ping = setInterval(() => res.write(": ping\n\n"), 50);
        req.socket.on("close", () => {
          clearInterval(ping);
          resolve();
        });
      };
    });

    const client = new AbortController();
    const response = await forwardToProxy(
      new Request("http://localhost:3000/api/chatkit", { method: "POST", body: "{}", signal: client.signal }),
      "/chatkit",
    );
    const reader = response.body!.getReader();
    await reader.read();
    client.abort();

    // Settles only once the proxy's end of the connection closes; a connection left open times the test out.
    await upstreamClosed;
  });

  it("answers 502 JSON without revealing the proxy address when it is unreachable", async () => {
    const closed = createServer();
    closed.listen(0, "127.0.0.1");
    await once(closed, "listening");
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    useProxy(`http://127.0.0.1:${port}`);
    vi.spyOn(console, "error").mockImplementation(() => {});

    const response = await forwardToProxy(
      new Request("http://localhost:3000/api/custom/session", { method: "POST" }),
      "/api/custom/session",
    );

    expect(response.status).toBe(502);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({
      error: { code: "proxy_unreachable", message: expect.stringMatching(/not reachable/) },
    });
    expect(text).not.toContain("127.0.0.1");
    expect(text).not.toContain(String(port));
  });

  it("uses http://127.0.0.1:8000 when PROXY_URL is not set", async () => {
    vi.stubEnv("PROXY_URL", undefined);
    const fetch = vi.spyOn(globalThis, "fetch").mockResolvedValue(new Response("{}"));

    await forwardToProxy(new Request("http://localhost:3000/api/custom/models"), "/api/custom/models");

    expect(fetch.mock.calls[0]?.[0]).toBe("http://127.0.0.1:8000/api/custom/models");
  });
});

/** What the stand-in proxy got, once the request is over (whole, or cut off). */
type Received = { headers: IncomingMessage["headers"]; body: Buffer };

/** Answers every request with 200 and hands what it received to `requests`. */
function recordRequests(): Received[] {
  const requests: Received[] = [];
  handler = (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("close", () => requests.push({ headers: req.headers, body: Buffer.concat(chunks) }));
    req.on("end", () => res.end());
  };
  return requests;
}

/** A body without a content-length, sent in 1 KiB chunks as the route reads it. */
function chunked(data: Buffer): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= data.length) return controller.close();
      controller.enqueue(data.subarray(offset, (offset += 1024)));
    },
  });
}

function chatkitRequest(body: BodyInit, headers: Record<string, string> = {}): Request {
  const init: RequestInit & { duplex: "half" } = { method: "POST", body, headers, duplex: "half" };
  return new Request("http://localhost:3000/api/chatkit", init);
}

describe("the body limit (MAX_REQUEST_BYTES)", () => {
  const LIMIT = 4096;
  const tooLarge = {
    error: { code: "payload_too_large", message: `The request is larger than the ${LIMIT} bytes allowed.` },
  };

  it("refuses a body announced too large without contacting the proxy", async () => {
    useProxy();
    vi.stubEnv("MAX_REQUEST_BYTES", String(LIMIT));
    const fetch = vi.spyOn(globalThis, "fetch");

    const body = Buffer.alloc(LIMIT * 100, "x");
    const response = await postToChatKit(chatkitRequest(chunked(body), { "content-length": String(body.length) }));

    expect(response.status).toBe(413);
    expect(await response.json()).toEqual(tooLarge);
    expect(fetch).not.toHaveBeenCalled();
  });

  it("cuts a streamed body off at the limit, before the proxy gets more", async () => {
    useProxy();
    vi.stubEnv("MAX_REQUEST_BYTES", String(LIMIT));
    const requests = recordRequests();

    const response = await postToChatKit(chatkitRequest(chunked(Buffer.alloc(LIMIT * 100, "x"))));

    expect(response.status).toBe(413);
    expect(await response.json()).toEqual(tooLarge);
    await expect.poll(() => requests.length).toBe(1);
    expect(requests[0]!.body.length).toBeLessThanOrEqual(LIMIT);
  });

  it("passes a streamed body of exactly the limit through intact", async () => {
    useProxy();
    vi.stubEnv("MAX_REQUEST_BYTES", String(LIMIT));
    const requests = recordRequests();
    const data = randomBytes(LIMIT);

    const response = await postToChatKit(chatkitRequest(chunked(data)));

    expect(response.status).toBe(200);
    await expect.poll(() => requests.length).toBe(1);
    expect(requests[0]!.body.equals(data)).toBe(true);
  });

  it("uses the proxy's default of 1048576 bytes when MAX_REQUEST_BYTES is not set", async () => {
    useProxy();
    vi.stubEnv("MAX_REQUEST_BYTES", undefined);
    const requests = recordRequests();

    const refused = await postToChatKit(chatkitRequest("{}", { "content-length": "1048577" }));
    const passed = await postToChatKit(chatkitRequest(chunked(Buffer.alloc(1_048_576, "x"))));

    expect(refused.status).toBe(413);
    expect((await refused.json()).error.message).toBe("The request is larger than the 1048576 bytes allowed.");
    expect(passed.status).toBe(200);
    await expect.poll(() => requests.length).toBe(1);
    expect(requests[0]!.body.length).toBe(1_048_576);
  });

  it("fails loudly on a MAX_REQUEST_BYTES that is not a number of bytes", async () => {
    vi.stubEnv("MAX_REQUEST_BYTES", "1MB");

    await expect(postToChatKit(chatkitRequest("{}"))).rejects.toThrow(
      'MAX_REQUEST_BYTES must be a number of bytes, not "1MB".',
    );
  });
});

describe("what the proxy learns about the client", () => {
  let front: Server;
  let frontUrl: string;

  // Stands in for Next.js in front of the route: a real HTTP server that turns each request
  // into a `Request`, after the peer-address hook has seen it as Node announces it.
  beforeAll(async () => {
    front = createServer(async (req, res) => {
      appendPeerAddress({ request: req, socket: req.socket });
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) if (typeof value === "string") headers.set(name, value);
      const body = Readable.toWeb(req) as ReadableStream<Uint8Array>;
      const response = await postToChatKit(chatkitRequestFrom(`http://${req.headers.host}${req.url}`, body, headers));
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    });
    front.listen(0, "127.0.0.1");
    await once(front, "listening");
    frontUrl = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    front.closeAllConnections();
    await new Promise((resolve) => front.close(resolve));
  });

  function chatkitRequestFrom(url: string, body: ReadableStream<Uint8Array>, headers: Headers): Request {
    const init: RequestInit & { duplex: "half" } = { method: "POST", body, headers, duplex: "half" };
    return new Request(url, init);
  }

  it("passes on the page's origin and fetch site, and the address and scheme it connected with", async () => {
    useProxy();
    const requests = recordRequests();

    const response = await fetch(`${frontUrl}/api/chatkit`, {
      method: "POST",
      body: "{}",
      headers: { origin: "http://localhost:3000", "sec-fetch-site": "same-origin" },
    });

    expect(response.status).toBe(200);
    await expect.poll(() => requests.length).toBe(1);
    expect(requests[0]!.headers).toMatchObject({
      origin: "http://localhost:3000",
      "sec-fetch-site": "same-origin",
      "x-forwarded-for": "127.0.0.1",
      "x-forwarded-proto": "http",
    });
  });

  it("keeps the real peer address at the end of a client's own x-forwarded-for", async () => {
    useProxy();
    const requests = recordRequests();

    await fetch(`${frontUrl}/api/chatkit`, {
      method: "POST",
      body: "{}",
      headers: [
        ["x-forwarded-for", "203.0.113.7"],
        ["x-forwarded-for", "198.51.100.1, 127.0.0.2"],
        ["x-peer-address-seen", "guess"],
      ],
    });

    await expect.poll(() => requests.length).toBe(1);
    expect(requests[0]!.headers["x-forwarded-for"]).toBe("203.0.113.7, 198.51.100.1, 127.0.0.2, 127.0.0.1");
    expect(requests[0]!.headers).not.toHaveProperty("x-peer-address-seen");
  });
});
