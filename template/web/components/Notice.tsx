"use client";

import styles from "./ChatPanel.module.css";

type NoticeProps = { testId: string; title: string; message: string; onRetry: () => void };

/** Why the chat cannot be shown, in place of it, with a retry button. */
export function Notice({ testId, title, message, onRetry }: NoticeProps) {
  return (
    <div className={styles.notice} role="alert" data-testid={testId}>
      <h2>{title}</h2>
      <p>{message}</p>
      <button type="button" onClick={onRetry} aria-label={`Retry: ${title.toLowerCase()}`}>
        Retry
      </button>
    </div>
  );
}
