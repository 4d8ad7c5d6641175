"use client";

import { useLayoutEffect, useRef } from "react";

import type { FeedbackKind } from "@/lib/chatkitClient";
import type { ChatItem } from "@/lib/chatkitEvents";
import { questionBefore, type Conversation } from "@/lib/conversation";

import styles from "./BuiltinChat.module.css";
import { AssistantMessage } from "./items/AssistantMessage";
import { UserMessage } from "./items/UserMessage";
import { Workflow } from "./items/Workflow";

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
  const { items, progress, notices, failure } = conversation;
  const scroller = useRef<HTMLDivElement>(null);
  const following = useRef(true);

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
      <div role="log" aria-live="polite" aria-label="Conversation" className={styles.items}>
        {items.map(render)}
        {streaming && progress && (
          <p className={styles.progress} role="status">
            {progress}
          </p>
        )}
        {notices.map((notice, index) => (
          <div key={index} className={styles.notice} data-level={notice.level} role="note">
            {notice.title && <strong>{notice.title}</strong>}
            <p>{notice.message}</p>
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
