"use client";

import { useEffect, useLayoutEffect, useRef, useState } from "react";

import type { FeedbackKind } from "@/lib/chatkitClient";
import type { ChatItem } from "@/lib/chatkitEvents";
import { questionBefore, textOf, type Conversation } from "@/lib/conversation";

import styles from "./BuiltinChat.module.css";
import { AssistantMessage } from "./items/AssistantMessage";
import { UserMessage } from "./items/UserMessage";
import { Workflow } from "./items/Workflow";
import { Markdown } from "./Markdown";

// Closer to the bottom than this and the view keeps following a streamed answer.
const FOLLOW_WITHIN_PX = 80;

type Props = {
  conversation: Conversation;
  streaming: boolean;
  onRetry: (userItemId: string) => void;
  onFeedback: (itemId: string, kind: FeedbackKind) => Promise<boolean>;
};

/** The conversation's items, each kind by its own component, following the stream. */
export function Transcript({ conversation, streaming, onRetry, onFeedback }: Props) {
  const { items, progress, notices, failure, truncated } = conversation;
  const scroller = useRef<HTMLDivElement>(null);
  const following = useRef(true);
  const announcement = useAnnouncement(items, streaming);

  useLayoutEffect(() => {
    const element = scroller.current;
    if (element && following.current) element.scrollTop = element.scrollHeight;
  }, [items, progress, notices, failure]);

  const lastAnswer = items.findLastIndex((item) => item.type === "assistant_message");
  const lastQuestion = questionBefore(items, items.length - 1);
  const render = (item: ChatItem, index: number) => {
    const live = streaming && index === items.length - 1;
    switch (item.type) {
      case "user_message":
        return <UserMessage key={item.id} item={item} />;
      case "workflow":
        return <Workflow key={item.id} item={item} live={live} />;
      case "assistant_message": {
        const question = index === lastAnswer && !streaming ? questionBefore(items, index) : null;
        return (
          <AssistantMessage
            key={item.id}
            item={item}
            live={live}
            onRetry={question ? () => onRetry(question.id) : null}
            onFeedback={(kind) => onFeedback(item.id, kind)}
          />
        );
      }
    }
  };

  return (
    <div
      ref={scroller}
      className={styles.transcript}
      onScroll={(event) => {
        const element = event.currentTarget;
        following.current = element.scrollHeight - element.scrollTop - element.clientHeight < FOLLOW_WITHIN_PX;
      }}
    >
      {/* Read out once per finished answer, rather than every word and button as they appear. */}
      <p className={styles.visuallyHidden} aria-live="polite">
        {announcement}
      </p>
      <div className={styles.items} aria-label="Conversation" role="region" aria-busy={streaming}>
        {truncated && <p className={styles.muted}>Earlier messages of this conversation are not shown.</p>}
        {items.map(render)}
        {streaming && progress && (
          <p className={styles.progress} role="status">
            {progress}
          </p>
        )}
        {notices.map((notice, index) => (
          <div key={index} className={styles.notice} data-level={notice.level} role="note">
            {notice.title && <strong>{notice.title}</strong>}
            <Markdown text={notice.message} />
          </div>
        ))}
        {failure && (
          <div className={styles.failure} role="alert" data-testid="answer-error">
            <p>{failure.message}</p>
            {failure.allowRetry && lastQuestion && !streaming && (
              <button type="button" onClick={() => onRetry(lastQuestion.id)}>
                Try again
              </button>
            )}
          </div>
        )}
      </div>
    </div>
  );
}

/** The text of the answer that just finished streaming, for screen readers. */
function useAnnouncement(items: Conversation["items"], streaming: boolean): string {
  const [announcement, setAnnouncement] = useState("");
  const wasStreaming = useRef(streaming);
  useEffect(() => {
    if (wasStreaming.current && !streaming) {
      const answer = items.findLast((item) => item.type === "assistant_message");
      setAnnouncement(answer ? textOf(answer) : "");
    }
    wasStreaming.current = streaming;
  }, [items, streaming]);
  return announcement;
}
