"use client";

import { useRef, useState } from "react";

import type { ThreadSummary } from "@/lib/chatkitEvents";

import styles from "./BuiltinChat.module.css";

type Props = {
  threads: ThreadSummary[] | null;
  /** The list could not be loaded (the reason is shown next to it). */
  failed: boolean;
  activeId: string | null;
  onOpen: (threadId: string) => void;
  onNew: () => void;
  onRename: (threadId: string, title: string) => void;
  onDelete: (threadId: string) => void;
};

const UNTITLED = "New conversation";

/** Past conversations: open, rename, delete, or start a new one. */
export function ThreadHistory({ threads, failed, activeId, onOpen, onNew, onRename, onDelete }: Props) {
  const [editing, setEditing] = useState<string | null>(null);
  const list = useRef<HTMLElement>(null);
  const newChat = useRef<HTMLButtonElement>(null);
  // Where focus goes once a title field or a deleted row is gone: not lost on the page.
  const stopEditing = (threadId: string) => {
    setEditing(null);
    requestAnimationFrame(() => list.current?.querySelector<HTMLElement>(`[data-thread="${CSS.escape(threadId)}"]`)?.focus());
  };
  return (
    <nav ref={list} className={styles.history} aria-label="Conversations">
      <button ref={newChat} type="button" className={styles.newChat} onClick={onNew}>
        New chat
      </button>
      {threads === null ? (
        !failed && (
          <p className={styles.muted} role="status">
            Loading conversations…
          </p>
        )
      ) : threads.length === 0 ? (
        <p className={styles.muted}>No conversations yet.</p>
      ) : (
        <ul>
          {threads.map((thread) => {
            const title = thread.title || UNTITLED;
            return (
              <li key={thread.id} data-active={thread.id === activeId}>
                {editing === thread.id ? (
                  <form
                    onSubmit={(event) => {
                      event.preventDefault();
                      const value = new FormData(event.currentTarget).get("title");
                      const renamed = typeof value === "string" ? value.trim() : "";
                      stopEditing(thread.id);
                      if (renamed && renamed !== thread.title) onRename(thread.id, renamed);
                    }}
                  >
                    <input
                      name="title"
                      defaultValue={thread.title ?? ""}
                      aria-label="New title"
                      maxLength={200}
                      autoFocus
                      onKeyDown={(event) => {
                        if (event.key !== "Escape") return;
                        // Leaves the field, not the drawer around it.
                        event.stopPropagation();
                        stopEditing(thread.id);
                      }}
                      onBlur={(event) => event.currentTarget.form?.requestSubmit()}
                    />
                  </form>
                ) : (
                  <button
                    type="button"
                    className={styles.threadLink}
                    data-thread={thread.id}
                    aria-current={thread.id === activeId ? "page" : undefined}
                    onClick={() => onOpen(thread.id)}
                  >
                    {title}
                  </button>
                )}
                <button type="button" aria-label={`Rename “${title}”`} title="Rename" onClick={() => setEditing(thread.id)}>
                  ✎
                </button>
                <button
                  type="button"
                  aria-label={`Delete “${title}”`}
                  title="Delete"
                  onClick={() => {
                    if (!window.confirm(`Delete “${title}”?`)) return;
                    newChat.current?.focus();
                    onDelete(thread.id);
                  }}
                >
                  ✕
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </nav>
  );
}
