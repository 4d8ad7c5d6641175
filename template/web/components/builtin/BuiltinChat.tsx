"use client";

import type { ModelOption } from "@openai/chatkit-react";
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from "react";

import { ChatKitClient, ChatRequestError } from "@/lib/chatkitClient";
import { config } from "@/lib/config";
import { UNREACHABLE } from "@/lib/errors";
import { SessionError, type SessionClient } from "@/lib/session";

import { useColorScheme } from "../useColorScheme";
import styles from "./BuiltinChat.module.css";
import { Composer } from "./Composer";
import { ThreadHistory } from "./ThreadHistory";
import { Transcript } from "./Transcript";
import { useConversation } from "./useConversation";
import { useThreads } from "./useThreads";

const THREAD_PARAM = "thread";

type Props = {
  session: SessionClient;
  models: ModelOption[];
  onSessionError: (error: SessionError) => void;
  /** Shown above the chat: why this view is shown instead of ChatKit's. */
  notice?: ReactNode;
};

/**
 * The app's own chat view: the same ChatKit protocol, route and session token as the ChatKit
 * element, rendered here, so it works without any request to another origin.
 */
export function BuiltinChat({ session, models, onSessionError, notice }: Props) {
  const client = useMemo(() => new ChatKitClient(config.apiUrl, session.authFetch), [session]);
  const colorScheme = useColorScheme();
  const [draft, setDraft] = useState("");
  const [model, setModel] = useState(() => (models.find((option) => option.default) ?? models[0])?.id ?? null);
  const [drawerOpen, setDrawerOpen] = useState(false);
  const [historyFailure, setHistoryFailure] = useState<string | null>(null);
  const input = useRef<HTMLTextAreaElement>(null);

  const onHistoryError = useCallback(
    (error: unknown) => {
      if (error instanceof SessionError) onSessionError(error);
      else setHistoryFailure(error instanceof ChatRequestError ? error.message : UNREACHABLE);
    },
    [onSessionError],
  );
  const threads = useThreads(client, onHistoryError);
  const refreshThreads = threads.refresh;
  const chat = useConversation({
    client,
    onSessionError,
    onThreadCreated: useCallback((threadId: string) => showInUrl(threadId, "replace"), []),
    onAnswerEnded: useCallback(() => {
      setHistoryFailure(null);
      void refreshThreads();
    }, [refreshThreads]),
    onDraftReturned: setDraft,
  });
  const { open } = chat;
  const threadId = chat.conversation.threadId;

  useEffect(() => {
    // The thread in the address is the one shown: on load, and on back and forward.
    const show = () => void open(new URLSearchParams(window.location.search).get(THREAD_PARAM));
    show();
    window.addEventListener("popstate", show);
    return () => window.removeEventListener("popstate", show);
  }, [open]);

  useEffect(() => {
    if (!drawerOpen) return;
    const close = (event: KeyboardEvent) => event.key === "Escape" && setDrawerOpen(false);
    window.addEventListener("keydown", close);
    return () => window.removeEventListener("keydown", close);
  }, [drawerOpen]);

  const openThread = (id: string | null) => {
    showInUrl(id, "push");
    setDrawerOpen(false);
    void open(id);
    input.current?.focus();
  };

  const send = () => {
    const text = draft.trim();
    if (!text || chat.streaming) return;
    setDraft("");
    chat.send(threadId, { text, model });
    input.current?.focus();
  };

  const remove = async (id: string) => {
    if ((await threads.remove(id)) && id === threadId) {
      showInUrl(null, "replace");
      void open(null);
    }
  };

  const empty = chat.conversation.items.length === 0 && !chat.streaming;
  return (
    <div className={styles.root} data-theme={colorScheme} data-testid="builtin-chat">
      <header className={styles.header}>
        <button
          type="button"
          className={styles.menu}
          aria-expanded={drawerOpen}
          aria-controls="chat-history"
          onClick={() => setDrawerOpen((isOpen) => !isOpen)}
        >
          Conversations
        </button>
        <h1>{config.title}</h1>
        {chat.conversation.title && <span className={styles.threadTitle}>{chat.conversation.title}</span>}
      </header>
      {notice}
      <div className={styles.body}>
        <div id="chat-history" className={styles.drawer} data-open={drawerOpen}>
          <button type="button" className={styles.closeDrawer} onClick={() => setDrawerOpen(false)}>
            Close
          </button>
          <ThreadHistory
            threads={threads.threads}
            activeId={threadId}
            onOpen={openThread}
            onNew={() => openThread(null)}
            onRename={(id, title) => void threads.rename(id, title)}
            onDelete={(id) => void remove(id)}
          />
          {historyFailure && (
            <p className={styles.historyFailure} role="alert">
              {historyFailure}
            </p>
          )}
        </div>
        <div className={styles.main}>
          {chat.loading ? (
            <p className={styles.status} role="status">
              Loading the conversation…
            </p>
          ) : empty && !chat.failure ? (
            <StartScreen
              onPrompt={(prompt) => {
                setDraft(prompt);
                input.current?.focus();
              }}
            />
          ) : (
            <Transcript
              conversation={chat.conversation}
              streaming={chat.streaming}
              onRetry={(userItemId) => threadId && chat.retry(threadId, userItemId)}
              onFeedback={(itemId, kind) => (threadId ? chat.sendFeedback(threadId, itemId, kind) : Promise.resolve(false))}
            />
          )}
          {chat.failure && (
            <div className={styles.failure} role="alert" data-testid="chat-error">
              <p>{chat.failure.message}</p>
              {chat.failure.retry && (
                <button type="button" onClick={chat.failure.retry}>
                  Retry
                </button>
              )}
            </div>
          )}
          <Composer
            draft={draft}
            onDraftChange={setDraft}
            onSend={send}
            onStop={chat.stop}
            streaming={chat.streaming}
            models={models}
            model={model}
            onModelChange={setModel}
            inputRef={input}
          />
        </div>
      </div>
    </div>
  );
}

function StartScreen({ onPrompt }: { onPrompt: (prompt: string) => void }) {
  return (
    <div className={styles.start}>
      <h2>{config.greeting}</h2>
      <ul>
        {config.prompts.map((prompt) => (
          <li key={prompt.label}>
            <button type="button" onClick={() => onPrompt(prompt.prompt)}>
              {prompt.label}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

function showInUrl(threadId: string | null, how: "push" | "replace"): void {
  const url = new URL(window.location.href);
  if (threadId) url.searchParams.set(THREAD_PARAM, threadId);
  else url.searchParams.delete(THREAD_PARAM);
  if (url.href === window.location.href) return;
  if (how === "push") window.history.pushState(null, "", url);
  else window.history.replaceState(null, "", url);
}
