/**
 * What the built-in chat view reads from the ChatKit protocol: threads, the items it can show,
 * and the server-sent events of a streamed answer. Anything else the server sends (a newer
 * event or item kind) parses to nothing and is skipped, so a newer proxy never breaks the page.
 */
import { z } from "zod";

const itemBase = { id: z.string(), thread_id: z.string(), created_at: z.string() };

const UserContent = z.object({ type: z.string(), text: z.string() });
const OutputText = z.object({ text: z.string() });

export const UserMessageItem = z.object({
  ...itemBase,
  type: z.literal("user_message"),
  content: z.array(UserContent),
  inference_options: z.object({ model: z.string().nullish() }).optional(),
});

export const AssistantMessageItem = z.object({
  ...itemBase,
  type: z.literal("assistant_message"),
  content: z.array(OutputText),
});

export const Task = z.object({
  type: z.string(),
  title: z.string().nullish(),
  content: z.string().nullish(),
  status_indicator: z.enum(["none", "loading", "complete"]).default("none"),
});

export const WorkflowItem = z.object({
  ...itemBase,
  type: z.literal("workflow"),
  workflow: z.object({
    type: z.string(),
    tasks: z.array(Task),
    summary: z.union([z.object({ title: z.string() }), z.object({ duration: z.number() })]).nullish(),
    expanded: z.boolean().default(false),
  }),
});

export const ThreadItem = z.discriminatedUnion("type", [UserMessageItem, AssistantMessageItem, WorkflowItem]);

export const ThreadMetadata = z.object({ id: z.string(), title: z.string().nullish(), created_at: z.string() });

const contentIndex = z.number().int().nonnegative();
const taskIndex = z.number().int().nonnegative();

export const ItemUpdate = z.discriminatedUnion("type", [
  z.object({ type: z.literal("assistant_message.content_part.added"), content_index: contentIndex, content: OutputText }),
  z.object({ type: z.literal("assistant_message.content_part.text_delta"), content_index: contentIndex, delta: z.string() }),
  z.object({ type: z.literal("assistant_message.content_part.done"), content_index: contentIndex, content: OutputText }),
  z.object({ type: z.literal("workflow.task.added"), task_index: taskIndex, task: Task }),
  z.object({ type: z.literal("workflow.task.updated"), task_index: taskIndex, task: Task }),
]);

export const ThreadEvent = z.discriminatedUnion("type", [
  z.object({ type: z.literal("thread.created"), thread: ThreadMetadata }),
  z.object({ type: z.literal("thread.updated"), thread: ThreadMetadata }),
  z.object({ type: z.literal("thread.item.added"), item: ThreadItem }),
  z.object({ type: z.literal("thread.item.done"), item: ThreadItem }),
  z.object({ type: z.literal("thread.item.replaced"), item: ThreadItem }),
  z.object({ type: z.literal("thread.item.removed"), item_id: z.string() }),
  z.object({ type: z.literal("thread.item.updated"), item_id: z.string(), update: ItemUpdate }),
  z.object({ type: z.literal("progress_update"), text: z.string() }),
  z.object({ type: z.literal("error"), message: z.string().nullish(), allow_retry: z.boolean().default(false) }),
  z.object({
    type: z.literal("notice"),
    level: z.enum(["info", "warning", "danger"]),
    message: z.string(),
    title: z.string().nullish(),
  }),
]);

export type ChatItem = z.infer<typeof ThreadItem>;
export type ThreadSummary = z.infer<typeof ThreadMetadata>;
export type ThreadEvent = z.infer<typeof ThreadEvent>;
export type WorkflowTask = z.infer<typeof Task>;

export const ThreadPage = z.object({ data: z.array(ThreadMetadata), has_more: z.boolean().default(false) });

/** A page of items: the ones this view can show, in the order the server sent them. */
export const ItemPage = z.object({
  data: z.array(z.unknown()).transform((items) => items.flatMap((item) => parsed(ThreadItem, item))),
  has_more: z.boolean().default(false),
  after: z.string().nullish(),
});

/** One event of a stream, or null for a kind this view does not know (or a malformed one). */
export function parseThreadEvent(data: unknown): ThreadEvent | null {
  return parsed(ThreadEvent, data)[0] ?? null;
}

function parsed<T>(schema: z.ZodType<T>, data: unknown): T[] {
  const result = schema.safeParse(data);
  return result.success ? [result.data] : [];
}

/** The JSON payloads of a `text/event-stream` body, as they arrive. */
export async function* readServerEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<unknown> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let finished = false;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        finished = true;
        return;
      }
      buffer = (buffer + decoder.decode(value, { stream: true })).replaceAll("\r\n", "\n");
      for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
        const data = buffer
          .slice(0, end)
          .split("\n")
          .filter((line) => line.startsWith("data:"))
          .map((line) => line.slice(5).replace(/^ /, ""))
          .join("\n");
        buffer = buffer.slice(end + 2);
        if (!data) continue;
        try {
          yield JSON.parse(data);
        } catch {
          // Not JSON: nothing this view can use.
        }
      }
    }
  } finally {
    // Left early (the reader stopped listening): let the server know nobody reads on.
    if (!finished) await reader.cancel().catch(() => undefined);
  }
}
