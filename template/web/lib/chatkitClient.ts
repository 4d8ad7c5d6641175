/**
 * The ChatKit protocol as the built-in chat view speaks it: every call is a POST of
 * `{type, params}` to the same route the ChatKit element uses, through the same `fetch` (the
 * session client's, which adds and renews the token).
 */
import type { z } from "zod";

import {
  ItemPage,
  ThreadMetadata,
  ThreadPage,
  parseThreadEvent,
  readServerEvents,
  type ChatItem,
  type ThreadEvent,
  type ThreadSummary,
} from "./chatkitEvents";
import { UNREACHABLE, describeFailure } from "./errors";
import { SessionError } from "./session";

const NOT_UNDERSTOOD = "The chat service sent an answer this page does not understand.";

/** A request the chat service refused or never answered; `message` is for the person. */
export class ChatRequestError extends Error {
  override readonly name = "ChatRequestError";

  constructor(
    message: string,
    readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export type Fetch = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;
export type MessageInput = { text: string; model?: string | null };
export type FeedbackKind = "positive" | "negative";

export class ChatKitClient {
  constructor(
    private readonly url: string,
    private readonly fetch: Fetch,
  ) {}

  async listThreads(limit = 50): Promise<ThreadSummary[]> {
    const page = await this.json(ThreadPage, "threads.list", { limit, order: "desc" });
    return page.data;
  }

  getThread(threadId: string): Promise<ThreadSummary> {
    return this.json(ThreadMetadata, "threads.get_by_id", { thread_id: threadId });
  }

  /** The newest `limit` items of a thread, oldest first. */
  async listItems(threadId: string, limit = 100): Promise<{ items: ChatItem[]; hasMore: boolean }> {
    const page = await this.json(ItemPage, "items.list", { thread_id: threadId, limit, order: "desc" });
    return { items: page.data.reverse(), hasMore: page.has_more };
  }

  async rename(threadId: string, title: string): Promise<void> {
    await this.call("threads.update", { thread_id: threadId, title }).then(discard);
  }

  async delete(threadId: string): Promise<void> {
    await this.call("threads.delete", { thread_id: threadId }).then(discard);
  }

  async feedback(threadId: string, itemIds: string[], kind: FeedbackKind): Promise<void> {
    await this.call("items.feedback", { thread_id: threadId, item_ids: itemIds, kind }).then(discard);
  }

  createThread(input: MessageInput, signal: AbortSignal): AsyncGenerator<ThreadEvent> {
    return this.stream("threads.create", { input: userInput(input) }, signal);
  }

  addMessage(threadId: string, input: MessageInput, signal: AbortSignal): AsyncGenerator<ThreadEvent> {
    return this.stream("threads.add_user_message", { thread_id: threadId, input: userInput(input) }, signal);
  }

  /** Answers the user message `itemId` again; the server drops everything after it. */
  retryAfter(threadId: string, itemId: string, signal: AbortSignal): AsyncGenerator<ThreadEvent> {
    return this.stream("threads.retry_after_item", { thread_id: threadId, item_id: itemId }, signal);
  }

  private async *stream(type: string, params: object, signal: AbortSignal): AsyncGenerator<ThreadEvent> {
    const response = await this.call(type, params, signal);
    if (!response.body) throw new ChatRequestError(NOT_UNDERSTOOD, response.status);
    for await (const data of readServerEvents(response.body)) {
      const event = parseThreadEvent(data);
      if (event) yield event;
    }
  }

  private async json<T>(schema: z.ZodType<T>, type: string, params: object): Promise<T> {
    const response = await this.call(type, params);
    const result = schema.safeParse(await response.json().catch(() => null));
    if (!result.success) throw new ChatRequestError(NOT_UNDERSTOOD, response.status);
    return result.data;
  }

  private async call(type: string, params: object, signal?: AbortSignal): Promise<Response> {
    let response: Response;
    try {
      response = await this.fetch(this.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ type, params }),
        signal,
      });
    } catch (error) {
      // Stopped on purpose, or the session could not start: the caller handles those.
      if (signal?.aborted || error instanceof SessionError) throw error;
      throw new ChatRequestError(UNREACHABLE, undefined, { cause: error });
    }
    if (!response.ok) throw new ChatRequestError(await describeFailure(response), response.status);
    return response;
  }
}

function userInput({ text, model }: MessageInput) {
  return {
    content: [{ type: "input_text", text }],
    attachments: [],
    inference_options: model ? { model } : {},
  };
}

async function discard(response: Response): Promise<void> {
  await response.body?.cancel();
}
