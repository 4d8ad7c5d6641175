import { describe, expect, it } from "vitest";

import { parseThreadEvent, type ThreadEvent } from "../lib/chatkitEvents";
import { EMPTY, applyEvent, questionBefore, textOf, truncateAfter, type Conversation } from "../lib/conversation";

const at = "2026-11-29T10:00:00";
const question = {
  id: "msg_q",
  thread_id: "thr_1",
  created_at: at,
  type: "user_message",
  content: [{ type: "input_text", text: "Hello" }],
  inference_options: {},
};
const answer = { id: "msg_a", thread_id: "thr_1", created_at: at, type: "assistant_message", content: [] };
const delta = (text: string) => ({
  type: "thread.item.updated",
  item_id: "msg_a",
  update: { type: "assistant_message.content_part.text_delta", content_index: 0, delta: text },
});

/** The events as the proxy sends them for a new thread, through the same parser as the page. */
function replay(raw: unknown[], from: Conversation = EMPTY): Conversation {
  return raw
    .map((data) => parseThreadEvent(data))
    .filter((event): event is ThreadEvent => event !== null)
    .reduce(applyEvent, from);
}

describe("applyEvent", () => {
  it("builds a streamed answer from the proxy's events", () => {
    const conversation = replay([
      { type: "thread.created", thread: { id: "thr_1", title: null, created_at: at, items: { data: [] } } },
      { type: "thread.item.done", item: question },
      { type: "stream_options", stream_options: { allow_cancel: true } },
      { type: "progress_update", text: "Thinking…" },
      { type: "thread.item.added", item: answer },
      {
        type: "thread.item.updated",
        item_id: "msg_a",
        update: { type: "assistant_message.content_part.added", content_index: 0, content: { type: "output_text", text: "" } },
      },
      delta("Hi"),
      delta(" there"),
    ]);
    expect(conversation.threadId).toBe("thr_1");
    expect(conversation.progress).toBeNull();
    expect(conversation.items.map(textOf)).toEqual(["Hello", "Hi there"]);

    const done = replay(
      [
        { type: "thread.item.done", item: { ...answer, content: [{ type: "output_text", text: "Hi there!", annotations: [] }] } },
        { type: "thread.updated", thread: { id: "thr_1", title: "Greetings", created_at: at, items: { data: [] } } },
      ],
      conversation,
    );
    expect(done.items.map(textOf)).toEqual(["Hello", "Hi there!"]);
    expect(done.title).toBe("Greetings");
  });

  it("shows progress until the first words", () => {
    const waiting = replay([{ type: "thread.item.done", item: question }, { type: "progress_update", text: "Waiting for the model" }]);
    expect(waiting.progress).toBe("Waiting for the model");
  });

  it("keeps an error from the stream, with whether a retry may help", () => {
    const failed = replay([{ type: "thread.item.done", item: question }, { type: "error", code: "custom", allow_retry: true }]);
    expect(failed.failure).toEqual({ message: expect.stringContaining("try again"), allowRetry: true });
  });

  it("adds and updates the tasks of a workflow", () => {
    const workflow = { id: "wf", thread_id: "thr_1", created_at: at, type: "workflow", workflow: { type: "reasoning", tasks: [] } };
    const conversation = replay([
      { type: "thread.item.added", item: workflow },
      { type: "thread.item.updated", item_id: "wf", update: { type: "workflow.task.added", task_index: 0, task: { type: "thought", content: "Hm" } } },
      {
        type: "thread.item.updated",
        item_id: "wf",
        update: { type: "workflow.task.updated", task_index: 0, task: { type: "thought", content: "Hmm, yes", status_indicator: "complete" } },
      },
    ]);
    const [item] = conversation.items;
    expect(item.type === "workflow" && item.workflow.tasks).toEqual([
      { type: "thought", content: "Hmm, yes", status_indicator: "complete" },
    ]);
  });

  it("removes items and ignores updates for items it does not have", () => {
    const conversation = replay([{ type: "thread.item.done", item: question }, delta("lost"), { type: "thread.item.removed", item_id: "msg_q" }]);
    expect(conversation.items).toEqual([]);
  });
});

describe("retrying", () => {
  const conversation = replay([
    { type: "thread.item.done", item: question },
    { type: "thread.item.done", item: { ...answer, content: [{ type: "output_text", text: "First" }] } },
  ]);

  it("asks the question before an answer again, dropping what came after it", () => {
    const asked = questionBefore(conversation.items, 1);
    expect(asked?.id).toBe("msg_q");
    expect(truncateAfter(conversation, "msg_q").items.map((item) => item.id)).toEqual(["msg_q"]);
  });

  it("leaves the conversation alone for an item it does not have", () => {
    expect(truncateAfter(conversation, "nope")).toBe(conversation);
    expect(questionBefore([], 0)).toBeNull();
  });
});
