/**
 * One conversation as the built-in view shows it, and how each streamed event changes it.
 * Pure functions: the view keeps the state, the tests feed events in.
 */
import type { ChatItem, ThreadEvent } from "./chatkitEvents";

export type Notice = { level: "info" | "warning" | "danger"; title: string | null; message: string };
/** An error the server sent inside a stream; `allowRetry` when answering again may help. */
export type StreamFailure = { message: string; allowRetry: boolean };

export type Conversation = {
  threadId: string | null;
  title: string | null;
  items: ChatItem[];
  /** What the server says it is doing before the answer's first words. */
  progress: string | null;
  notices: Notice[];
  failure: StreamFailure | null;
  /** Older items exist on the server than the ones loaded. */
  truncated: boolean;
};

export const EMPTY: Conversation = {
  threadId: null,
  title: null,
  items: [],
  progress: null,
  notices: [],
  failure: null,
  truncated: false,
};

const DEFAULT_FAILURE = "Something went wrong while answering. Please try again.";

export function applyEvent(conversation: Conversation, event: ThreadEvent): Conversation {
  switch (event.type) {
    case "thread.created":
    case "thread.updated":
      return { ...conversation, threadId: event.thread.id, title: event.thread.title ?? null };
    case "thread.item.added":
    case "thread.item.done":
    case "thread.item.replaced":
      return { ...conversation, progress: null, items: upsert(conversation.items, event.item) };
    case "thread.item.removed":
      return { ...conversation, items: conversation.items.filter((item) => item.id !== event.item_id) };
    case "thread.item.updated":
      return {
        ...conversation,
        progress: null,
        items: conversation.items.map((item) => (item.id === event.item_id ? updated(item, event.update) : item)),
      };
    case "progress_update":
      return { ...conversation, progress: event.text };
    case "notice":
      return {
        ...conversation,
        notices: [...conversation.notices, { level: event.level, title: event.title ?? null, message: event.message }],
      };
    case "error":
      return {
        ...conversation,
        progress: null,
        failure: { message: event.message || DEFAULT_FAILURE, allowRetry: event.allow_retry },
      };
  }
}

/** The conversation as it stands when the user asks for another answer to `userItemId`. */
export function truncateAfter(conversation: Conversation, userItemId: string): Conversation {
  const index = conversation.items.findIndex((item) => item.id === userItemId);
  if (index < 0) return conversation;
  return { ...conversation, items: conversation.items.slice(0, index + 1), notices: [], failure: null };
}

/** The user message an answer at `index` replies to: what a retry of that answer asks again. */
export function questionBefore(items: ChatItem[], index: number): ChatItem | null {
  for (let i = Math.min(index, items.length - 1); i >= 0; i--) {
    if (items[i].type === "user_message") return items[i];
  }
  return null;
}

export function textOf(item: ChatItem): string {
  if (item.type === "workflow") return "";
  return item.content.map((part) => part.text).join("");
}

function upsert(items: ChatItem[], item: ChatItem): ChatItem[] {
  const index = items.findIndex((existing) => existing.id === item.id);
  if (index < 0) return [...items, item];
  return items.with(index, item);
}

type ItemUpdate = Extract<ThreadEvent, { type: "thread.item.updated" }>["update"];

function updated(item: ChatItem, update: ItemUpdate): ChatItem {
  switch (update.type) {
    case "assistant_message.content_part.added":
    case "assistant_message.content_part.done":
      if (item.type !== "assistant_message") return item;
      return { ...item, content: placed(item.content, update.content_index, update.content) };
    case "assistant_message.content_part.text_delta": {
      if (item.type !== "assistant_message") return item;
      const part = item.content[update.content_index] ?? { text: "" };
      return { ...item, content: placed(item.content, update.content_index, { text: part.text + update.delta }) };
    }
    case "workflow.task.added":
    case "workflow.task.updated":
      if (item.type !== "workflow") return item;
      return { ...item, workflow: { ...item.workflow, tasks: placed(item.workflow.tasks, update.task_index, update.task) } };
  }
}

/** `list` with `value` at `index`, padding a gap the server skipped rather than failing. */
function placed<T>(list: T[], index: number, value: T): T[] {
  if (index < list.length) return list.with(index, value);
  const copy = [...list];
  copy[index] = value;
  return copy.filter((entry) => entry !== undefined);
}
