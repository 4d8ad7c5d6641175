"use client";

import { useCallback, useEffect, useRef, useState } from "react";

import { ChatRequestError, type ChatKitClient, type FeedbackKind, type MessageInput } from "@/lib/chatkitClient";
import type { ThreadEvent } from "@/lib/chatkitEvents";
import { EMPTY, applyEvent, truncateAfter, type Conversation } from "@/lib/conversation";
import { UNREACHABLE } from "@/lib/errors";
import { SessionError } from "@/lib/session";

/** A request that failed, in words for the person, and what trying again would do. */
export type Failure = { message: string; retry: (() => void) | null };

type Options = {
  client: ChatKitClient;
  /** The session could not be started or renewed: the whole chat shows that. */
  onSessionError: (error: SessionError) => void;
  /** A new thread exists (its id), or an answer ended: the history may have changed. */
  onThreadCreated: (threadId: string) => void;
  onAnswerEnded: () => void;
  /** A refused message comes back here, so the person can change it and send again. */
  onDraftReturned: (text: string) => void;
};

/** The open conversation: loading it, sending, stopping and retrying answers, feedback. */
export function useConversation({ client, onSessionError, onThreadCreated, onAnswerEnded, onDraftReturned }: Options) {
  const [conversation, setConversation] = useState<Conversation>(EMPTY);
  const [streaming, setStreaming] = useState(false);
  const [loading, setLoading] = useState(false);
  const [failure, setFailure] = useState<Failure | null>(null);
  const running = useRef<AbortController | null>(null);
  // Bumped by every open() and every request: a thread that finishes loading after something
  // else started is dropped rather than shown over it.
  const generation = useRef(0);
  const mounted = useRef(true);

  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
      running.current?.abort();
    };
  }, []);

  const report = useCallback(
    (error: unknown, retry: (() => void) | null) => {
      if (error instanceof SessionError) onSessionError(error);
      else setFailure({ message: error instanceof ChatRequestError ? error.message : UNREACHABLE, retry });
    },
    [onSessionError],
  );

  const run = useCallback(
    async (
      events: (signal: AbortSignal) => AsyncGenerator<ThreadEvent>,
      onRefused: (error: unknown, stored: { threadId: string | null; questionId: string | null }) => void,
      onAccepted: () => void = () => undefined,
    ) => {
      running.current?.abort();
      generation.current++;
      const controller = new AbortController();
      running.current = controller;
      setStreaming(true);
      setFailure(null);
      const stored = { threadId: null as string | null, questionId: null as string | null };
      let accepted = false;
      let sessionLost = false;
      try {
        for await (const event of events(controller.signal)) {
          if (controller.signal.aborted) break;
          if (!accepted) {
            accepted = true;
            onAccepted();
          }
          setConversation((current) => applyEvent(current, event));
          if (event.type === "thread.created") {
            stored.threadId = event.thread.id;
            onThreadCreated(event.thread.id);
          }
          if (event.type === "thread.item.done" && event.item.type === "user_message") stored.questionId = event.item.id;
        }
      } catch (error) {
        sessionLost = error instanceof SessionError;
        if (!controller.signal.aborted) onRefused(error, stored);
      } finally {
        if (running.current === controller) {
          running.current = null;
          setStreaming(false);
        }
        // Without a session the whole chat shows that; nothing to refresh.
        if (mounted.current && !sessionLost) onAnswerEnded();
      }
    },
    [onThreadCreated, onAnswerEnded],
  );

  const retry = useCallback(
    (threadId: string, userItemId: string) => {
      void run(
        (signal) => client.retryAfter(threadId, userItemId, signal),
        (error) => report(error, () => retry(threadId, userItemId)),
        // The server drops what followed the question once it starts answering again (it sends
        // no events for that): until then the old answer stays on screen.
        () => setConversation((current) => truncateAfter(current, userItemId)),
      );
    },
    [client, run, report],
  );

  const send = useCallback(
    (threadId: string | null, input: MessageInput) => {
      setConversation((current) => ({ ...current, notices: [], failure: null }));
      void run(
        (signal) => (threadId ? client.addMessage(threadId, input, signal) : client.createThread(input, signal)),
        (error, stored) => {
          const thread = threadId ?? stored.threadId;
          if (thread && stored.questionId) {
            // The question is stored, the answer broke off: ask for the answer again, not the question.
            const questionId = stored.questionId;
            report(error, () => retry(thread, questionId));
          } else if (error instanceof ChatRequestError && isRefusal(error.status)) {
            // Nothing was stored, and sending the same again would be refused the same way.
            onDraftReturned(input.text);
            report(error, null);
          } else {
            // Into the thread the server may already have made, not a second new one.
            report(error, () => send(thread, input));
          }
        },
      );
    },
    [client, run, report, retry, onDraftReturned],
  );

  const open = useCallback(
    async (threadId: string | null) => {
      running.current?.abort();
      const current = ++generation.current;
      setFailure(null);
      setConversation(threadId ? { ...EMPTY, threadId } : EMPTY);
      if (!threadId) return;
      setLoading(true);
      try {
        const [thread, { items, hasMore }] = await Promise.all([client.getThread(threadId), client.listItems(threadId)]);
        if (current !== generation.current) return;
        setConversation({ ...EMPTY, threadId, title: thread.title ?? null, items, truncated: hasMore });
      } catch (error) {
        if (current !== generation.current) return;
        setConversation(EMPTY);
        const gone = error instanceof ChatRequestError && error.status === 404;
        report(error, gone ? null : () => void open(threadId));
      } finally {
        if (current === generation.current) setLoading(false);
      }
    },
    [client, report],
  );

  const stop = useCallback(() => running.current?.abort(), []);

  const sendFeedback = useCallback(
    async (threadId: string, itemId: string, kind: FeedbackKind): Promise<boolean> => {
      try {
        await client.feedback(threadId, [itemId], kind);
        return true;
      } catch (error) {
        report(error, null);
        return false;
      }
    },
    [client, report],
  );

  return {
    conversation,
    streaming,
    loading,
    failure,
    open,
    send,
    stop,
    retry,
    sendFeedback,
    dismissFailure: () => setFailure(null),
  };
}

function isRefusal(status: number | undefined): boolean {
  return status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429;
}
