/** The built-in view's protocol client against a real HTTP server on loopback. */
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

import { ChatKitClient, ChatRequestError } from "../lib/chatkitClient";
import type { ThreadEvent } from "../lib/chatkitEvents";
import { UNREACHABLE } from "../lib/errors";

type Handler = (body: { type: string; params: Record<string, unknown> }, response: ServerResponse) => void;

let server: Server;
let url: string;
let handle: Handler;
const received: { type: string; params: Record<string, unknown> }[] = [];

beforeAll(async () => {
  server = createServer(async (request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString());
    received.push(body);
    handle(body, response);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/chatkit`;
});

afterAll(() => new Promise((resolve) => server.close(resolve)));

beforeEach(() => {
  received.length = 0;
});

const client = () => new ChatKitClient(url, (input, init) => fetch(input, init));
const at = "2026-11-29T10:00:00";

async function drain(events: AsyncGenerator<ThreadEvent>): Promise<ThreadEvent[]> {
  const seen: ThreadEvent[] = [];
  for await (const event of events) seen.push(event);
  return seen;
}

describe("ChatKitClient", () => {
  it("starts a thread with the message and model, and yields the events it knows", async () => {
    handle = (_, response) => {
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.write(`data: ${JSON.stringify({ type: "thread.created", thread: { id: "thr_1", created_at: at } })}\n\n`);
      response.write(`data: ${JSON.stringify({ type: "client_effect", name: "x", data: {} })}\n\n`);
      response.end(`data: ${JSON.stringify({ type: "progress_update", text: "Working" })}\n\n`);
    };
    const events = await drain(client().createThread({ text: "Hi", model: "small" }, new AbortController().signal));
    expect(events.map((event) => event.type)).toEqual(["thread.created", "progress_update"]);
    expect(received).toEqual([
      {
        type: "threads.create",
        params: {
          input: { content: [{ type: "input_text", text: "Hi" }], attachments: [], inference_options: { model: "small" } },
        },
      },
    ]);
  });

  it("lists a thread's newest items oldest first", async () => {
    const item = (id: string) => ({ id, thread_id: "thr_1", created_at: at, type: "assistant_message", content: [] });
    handle = (_, response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ data: [item("c"), item("b")], has_more: true, after: "b" }));
    };
    const { items, hasMore } = await client().listItems("thr_1", 2);
    expect(items.map((entry) => entry.id)).toEqual(["b", "c"]);
    expect(hasMore).toBe(true);
    expect(received[0]).toEqual({ type: "items.list", params: { thread_id: "thr_1", limit: 2, order: "desc" } });
  });

  it("turns a refusal into the proxy's own words and its status", async () => {
    handle = (_, response) => {
      response.writeHead(404, { "content-type": "application/json" });
      response.end(JSON.stringify({ error: { code: "not_found", message: "This conversation does not exist." } }));
    };
    const failure = await client()
      .getThread("thr_other")
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ChatRequestError);
    expect(failure).toMatchObject({ message: "This conversation does not exist.", status: 404 });
  });

  it("says the service is unreachable when nothing answers", async () => {
    const closed = createServer();
    closed.listen(0, "127.0.0.1");
    await once(closed, "listening");
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const offline = new ChatKitClient(`http://127.0.0.1:${port}/api/chatkit`, (input, init) => fetch(input, init));
    await expect(offline.listThreads()).rejects.toMatchObject({ name: "ChatRequestError", message: UNREACHABLE });
  });

  it("rejects with the abort, not an error for the person, when the answer is stopped", async () => {
    handle = (_, response) => {
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.write(`data: ${JSON.stringify({ type: "progress_update", text: "Working" })}\n\n`);
      // Never ends: the client stops it.
    };
    const controller = new AbortController();
    const events = client().addMessage("thr_1", { text: "Go on" }, controller.signal);
    const first = await events.next();
    expect(first.value).toMatchObject({ type: "progress_update" });
    controller.abort();
    const failure = await events.next().catch((error: unknown) => error);
    expect(failure).not.toBeInstanceOf(ChatRequestError);
    expect((failure as Error).name).toBe("AbortError");
  });
});
