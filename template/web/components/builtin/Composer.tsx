"use client";

import type { ModelOption } from "@openai/chatkit-react";
import type { RefObject } from "react";

import { config } from "@/lib/config";

import styles from "./BuiltinChat.module.css";

type Props = {
  draft: string;
  onDraftChange: (text: string) => void;
  onSend: () => void;
  onStop: () => void;
  streaming: boolean;
  /** A conversation is loading: what is sent now would go to the wrong one. */
  loading: boolean;
  models: ModelOption[];
  model: string | null;
  onModelChange: (model: string) => void;
  inputRef: RefObject<HTMLTextAreaElement | null>;
};

/** Enter sends, Shift+Enter starts a new line; while an answer streams, the button stops it. */
export function Composer(props: Props) {
  const { draft, onDraftChange, onSend, onStop, streaming, loading, models, model, onModelChange, inputRef } = props;
  const canSend = draft.trim() !== "" && !streaming && !loading;
  return (
    <form
      className={styles.composer}
      onSubmit={(event) => {
        event.preventDefault();
        if (canSend) onSend();
      }}
    >
      <textarea
        ref={inputRef}
        value={draft}
        rows={1}
        placeholder={config.composerPlaceholder}
        aria-label={config.composerPlaceholder}
        onChange={(event) => onDraftChange(event.target.value)}
        onKeyDown={(event) => {
          if (event.key !== "Enter" || event.shiftKey || event.nativeEvent.isComposing) return;
          event.preventDefault();
          if (canSend) onSend();
        }}
      />
      <div className={styles.composerBar}>
        {models.length > 1 && (
          <select aria-label="Model" value={model ?? ""} onChange={(event) => onModelChange(event.target.value)}>
            {models.map((option) => (
              <option key={option.id} value={option.id} title={option.description}>
                {option.label}
              </option>
            ))}
          </select>
        )}
        {streaming ? (
          <button type="button" className={styles.stop} onClick={onStop} aria-label="Stop the answer">
            Stop
          </button>
        ) : (
          <button type="submit" className={styles.send} disabled={!canSend} aria-label="Send message">
            Send
          </button>
        )}
      </div>
    </form>
  );
}
