"use client";

import { ChatKit, useChatKit, type ModelOption } from "@openai/chatkit-react";
import { useState } from "react";

import { config } from "@/lib/config";
import { UNREACHABLE, describeFailure } from "@/lib/errors";
import { modelPicker } from "@/lib/models";
import { SessionError, type SessionClient } from "@/lib/session";

import styles from "./ChatPanel.module.css";
import { useColorScheme } from "./useColorScheme";

type ChatKitViewProps = {
  session: SessionClient;
  models: ModelOption[];
  initialThread: string | null;
  onThreadChange: (threadId: string | null) => void;
  onSessionError: (error: SessionError) => void;
  onRestart: () => void;
};

/** ChatKit's element, talking to the proxy through this app, with a banner for a failed request. */
export function ChatKitView({
  session,
  models,
  initialThread,
  onThreadChange,
  onSessionError,
  onRestart,
}: ChatKitViewProps) {
  const colorScheme = useColorScheme();
  const [failure, setFailure] = useState<string | null>(null);
  const { control } = useChatKit({
    api: {
      url: config.apiUrl,
      domainKey: config.domainKey,
      fetch: async (input, init) => {
        let response: Response;
        try {
          response = await session.authFetch(input, init);
        } catch (error) {
          if (error instanceof SessionError) onSessionError(error);
          else if (!init?.signal?.aborted) setFailure(UNREACHABLE);
          throw error;
        }
        setFailure(response.ok ? null : await describeFailure(response));
        return response;
      },
    },
    frameTitle: config.title,
    initialThread,
    theme: { ...config.theme, colorScheme },
    header: { title: { text: config.title } },
    history: config.history,
    startScreen: { greeting: config.greeting, prompts: config.prompts },
    threadItemActions: config.threadItemActions,
    composer: { placeholder: config.composerPlaceholder, ...modelPicker(models) },
    onThreadChange: ({ threadId }) => onThreadChange(threadId),
    onError: ({ error }) => console.error("ChatKit error:", error),
  });

  return (
    <div className={styles.chat} data-testid="chat">
      {failure && (
        <div className={styles.banner} role="alert" data-testid="chat-error">
          <p>{failure}</p>
          <button type="button" onClick={onRestart}>
            Retry
          </button>
        </div>
      )}
      <ChatKit control={control} className={styles.chatkit} />
    </div>
  );
}
