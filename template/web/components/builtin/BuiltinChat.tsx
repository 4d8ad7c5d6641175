"use client";

import type { ModelOption } from "@openai/chatkit-react";
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from "react";

import { ChatKitClient } from "@/lib/chatkitClient";
import { config } from "@/lib/config";
import type { SessionClient, SessionError } from "@/lib/session";

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
  const input = useRef<HTMLTextAreaElement>(null);
  const menuButton = useRef<HTMLButtonElement>(null);
  const closeButton = useRef<HTMLButtonElement>(null);

  const threads = useThreads(client, onSessionError);
  const refreshThreads = threads.refresh;
  const chat = useConversation({
    client,
    onSessionError,
    onThreadCreated: useCallback(
      (threadId: string) => {
        showInUrl(threadId, "replace");
        // Listed while its first answer is still arriving.
        void refreshThreads();
      },
      [refreshThreads],
    ),
    onAnswerEnded: useCallback(() => void refreshThreads(), [refreshThreads]),
    onDraftReturned: setDraft,
  });
  const { open } = chat;
  const threadId = chat.conversation.threadId;
  // For decisions taken after an await: the conversation on screen then, not at the click.
  const shownThread = useRef(threadId);
  useEffect(() => {
    shownThread.current = threadId;
  }, [threadId]);

  useEffect(() => {
    // The thread in the address is the one shown: on load, and on back and forward.
    const show = () => void open(new URLSearchParams(window.location.search).get(THREAD_PARAM));
    show();
    window.addEventListener("popstate", show);
    return () => window.removeEventListener("popstate", show);
  }, [open]);

  const closeDrawer = useCallback(() => {
    setDrawerOpen(false);
    // Back to the button that opened it (hidden, and so skipped, on wide screens).
    menuButton.current?.focus();
  }, []);

  useEffect(() => {
    if (!drawerOpen) return;
    closeButton.current?.focus();
    const close = (event: KeyboardEvent) => event.key === "Escape" && closeDrawer();
    window.addEventListener("keydown", close);
    return () => window.removeEventListener("keydown", close);
  }, [drawerOpen, closeDrawer]);

  const openThread = (id: string | null) => {
    showInUrl(id, "push");
    if (drawerOpen) closeDrawer();
    void open(id);
    // A new chat starts with typing; an old one with reading (no phone keyboard over it).
    if (id === null) input.current?.focus();
  };

  const send = () => {
    const text = draft.trim();
    if (!text || chat.streaming || chat.loading) return;
    setDraft("");
    chat.send(threadId, { text, model });
    input.current?.focus();
  };

  const remove = async (id: string) => {
    if ((await threads.remove(id)) && id === shownThread.current) {
      showInUrl(null, "replace");
      void open(null);
    }
  };

  const title = threads.threads?.find((thread) => thread.id === threadId)?.title ?? chat.conversation.title;
  const empty = chat.conversation.items.length === 0 && !chat.streaming;
  return (
    <div
      className={styles.root}
      data-theme={colorScheme}
      data-radius={config.theme.radius}
      data-density={config.theme.density}
      data-testid="builtin-chat"
    >
      <header className={styles.header}>
        <button
          ref={menuButton}
          type="button"
          className={styles.menu}
          aria-expanded={drawerOpen}
          aria-controls="chat-history"
          onClick={() => (drawerOpen ? closeDrawer() : setDrawerOpen(true))}
        >
          Conversations
        </button>
        <h1>{config.title}</h1>
        {title && <span className={styles.threadTitle}>{title}</span>}
      </header>
      {notice}
      <div className={styles.body}>
        <div id="chat-history" className={styles.drawer} data-open={drawerOpen}>
          <button ref={closeButton} type="button" className={styles.closeDrawer} onClick={closeDrawer}>
            Close
          </button>
          <ThreadHistory
            threads={threads.threads}
            failed={threads.failure !== null}
            activeId={threadId}
            onOpen={openThread}
            onNew={() => openThread(null)}
            onRename={(id, title) => void threads.rename(id, title)}
            onDelete={(id) => void remove(id)}
          />
          {threads.failure && (
            <p className={styles.historyFailure} role="alert">
              {threads.failure}
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
            loading={chat.loading}
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
