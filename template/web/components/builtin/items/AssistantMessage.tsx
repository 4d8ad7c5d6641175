"use client";

import { useState } from "react";
import type { z } from "zod";

import type { FeedbackKind } from "@/lib/chatkitClient";
import type { AssistantMessageItem } from "@/lib/chatkitEvents";

import styles from "../BuiltinChat.module.css";
import { Markdown } from "../Markdown";

type Props = {
  item: z.infer<typeof AssistantMessageItem>;
  /** Still arriving: no actions until it is complete. */
  live: boolean;
  /** Offered under the latest answer only: the server answers again from its question. */
  onRetry: (() => void) | null;
  onFeedback: (kind: FeedbackKind) => Promise<boolean>;
};

export function AssistantMessage({ item, live, onRetry, onFeedback }: Props) {
  const [feedback, setFeedback] = useState<FeedbackKind | null>(null);
  const text = item.content.map((part) => part.text).join("");
  const give = async (kind: FeedbackKind) => {
    if (await onFeedback(kind)) setFeedback(kind);
  };
  return (
    <article className={styles.assistantMessage} aria-label="Answer" aria-busy={live} data-testid="answer">
      <Markdown text={text} />
      {!live && (
        <div className={styles.actions}>
          <button
            type="button"
            aria-label="Copy answer"
            title="Copy answer"
            onClick={() => void navigator.clipboard.writeText(text)}
          >
            Copy
          </button>
          <button type="button" aria-pressed={feedback === "positive"} onClick={() => void give("positive")}>
            Helpful
          </button>
          <button type="button" aria-pressed={feedback === "negative"} onClick={() => void give("negative")}>
            Not helpful
          </button>
          {onRetry && (
            <button type="button" aria-label="Retry this answer" title="Retry this answer" onClick={onRetry}>
              Retry
            </button>
          )}
        </div>
      )}
    </article>
  );
}
