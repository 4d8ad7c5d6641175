import { describe, expect, it } from "vitest";

import { ItemPage, parseThreadEvent, readServerEvents } from "../lib/chatkitEvents";

function streamOf(...chunks: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(typeof chunk === "string" ? encoder.encode(chunk) : chunk);
      controller.close();
    },
  });
}

async function collect(body: ReadableStream<Uint8Array>): Promise<unknown[]> {
  const events: unknown[] = [];
  for await (const event of readServerEvents(body)) events.push(event);
  return events;
}

const item = { id: "msg_1", thread_id: "thr_1", created_at: "2026-11-29T10:00:00" };

describe("readServerEvents", () => {
  it("joins frames split anywhere, a multi-byte character included", async () => {
    const bytes = new TextEncoder().encode('data: {"type":"progress_update","text":"Grüße"}\n\n');
    const cut = bytes.indexOf(0xc3) + 1; // inside the two bytes of "ü"
    const events = await collect(streamOf('data: {"a"', ":1}\n", "\n", bytes.slice(0, cut), bytes.slice(cut)));
    expect(events).toEqual([{ a: 1 }, { type: "progress_update", text: "Grüße" }]);
  });

  it("reads CRLF line ends, multi-line data and skips comments and non-JSON frames", async () => {
    const events = await collect(streamOf(": keep-alive\r\n\r\n", 'data: {"b":\r', '\ndata: 2}\r\n\r\n', "data: not json\n\n"));
    expect(events).toEqual([{ b: 2 }]);
  });

  it("cancels the body when the reader stops early", async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode('data: {"n":1}\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const event of readServerEvents(body)) {
      expect(event).toEqual({ n: 1 });
      break;
    }
    expect(cancelled).toBe(true);
  });
});

describe("parseThreadEvent", () => {
  it("reads the events of an answer", () => {
    expect(parseThreadEvent({ type: "thread.item.added", item: { ...item, type: "assistant_message", content: [] } })).toEqual({
      type: "thread.item.added",
      item: { ...item, type: "assistant_message", content: [] },
    });
    expect(
      parseThreadEvent({
        type: "thread.item.updated",
        item_id: "msg_1",
        update: { type: "assistant_message.content_part.text_delta", content_index: 0, delta: "Hi" },
      }),
    ).toMatchObject({ update: { delta: "Hi" } });
    expect(parseThreadEvent({ type: "error", code: "custom", message: "Backend down", allow_retry: true })).toEqual({
      type: "error",
      message: "Backend down",
      allow_retry: true,
    });
  });

  it("gives null for kinds it does not know, so a newer proxy cannot break the page", () => {
    expect(parseThreadEvent({ type: "client_effect", name: "confetti", data: {} })).toBeNull();
    expect(parseThreadEvent({ type: "thread.item.added", item: { ...item, type: "widget", widget: {} } })).toBeNull();
    expect(
      parseThreadEvent({ type: "thread.item.updated", item_id: "x", update: { type: "widget.root.updated", widget: {} } }),
    ).toBeNull();
    expect(parseThreadEvent({ type: "thread.item.updated", item_id: "x", update: { type: "assistant_message.content_part.text_delta" } })).toBeNull();
    expect(parseThreadEvent("data")).toBeNull();
  });
});

describe("ItemPage", () => {
  it("keeps the items this view shows and skips the rest", () => {
    const page = ItemPage.parse({
      data: [
        { ...item, id: "a", type: "user_message", content: [{ type: "input_text", text: "Hi" }], inference_options: {} },
        { ...item, id: "b", type: "client_tool_call", status: "pending", call_id: "c", name: "x", arguments: {} },
        { ...item, id: "c", type: "assistant_message", content: [{ type: "output_text", text: "Hello", annotations: [] }] },
      ],
      has_more: false,
    });
    expect(page.data.map((entry) => entry.id)).toEqual(["a", "c"]);
  });
});
