"use client";

import { ChatKit, useChatKit, type ColorScheme, type ModelOption } from "@openai/chatkit-react";
import { useEffect, useRef, useState, useSyncExternalStore } from "react";

import { config } from "@/lib/config";
import { describeFailure } from "@/lib/errors";
import { parseModels, modelPicker } from "@/lib/models";
import { SessionClient, SessionError } from "@/lib/session";

import { ChatKitScript, useChatKitScript } from "./ChatKitScript";
import styles from "./ChatPanel.module.css";

const UNREACHABLE = "The chat service is not reachable right now. Please try again in a moment.";

/** The whole chat: drop it into any page, it fills the box its parent gives it. */
export function ChatPanel() {
  return (
    <section className={styles.panel} aria-label={config.title}>
      <ChatKitScript />
      <ChatContent />
    </section>
  );
}

function ChatContent() {
  const [session] = useState(() => new SessionClient({ url: config.sessionUrl }));
  const script = useChatKitScript();
  const models = useModels();
  const [sessionError, setSessionError] = useState<SessionError | null>(null);
  const [attempt, setAttempt] = useState(0);
  const currentThread = useRef<string | null>(null);
  // The conversation a restarted chat opens again.
  const [resumeThread, setResumeThread] = useState<string | null>(null);

  useEffect(() => {
    // Start the session early so a broken backend shows up before the first message.
    session.getToken().catch((error: unknown) => setSessionError(asSessionError(error)));
  }, [session, attempt]);

  const restart = () => {
    setResumeThread(currentThread.current);
    setSessionError(null);
    setAttempt((n) => n + 1);
  };

  if (script === "failed") {
    return <ScriptNotice />;
  }
  if (sessionError) {
    return (
      <Notice testId="session-error" title="The chat could not start" message={sessionError.message} onRetry={restart} />
    );
  }
  if (script === "loading" || models === null) {
    return (
      <div className={styles.status} data-testid="chat-loading" role="status">
        Loading the chat…
      </div>
    );
  }
  return (
    <ChatView
      key={attempt}
      session={session}
      models={models}
      initialThread={resumeThread}
      onThreadChange={(threadId) => {
        currentThread.current = threadId;
      }}
      onSessionError={setSessionError}
      onRestart={restart}
    />
  );
}

type ChatViewProps = {
  session: SessionClient;
  models: ModelOption[];
  initialThread: string | null;
  onThreadChange: (threadId: string | null) => void;
  onSessionError: (error: SessionError) => void;
  onRestart: () => void;
};

function ChatView({ session, models, initialThread, onThreadChange, onSessionError, onRestart }: ChatViewProps) {
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

function ScriptNotice() {
  return (
    <Notice
      testId="script-error"
      title="The chat interface could not be loaded"
      message={
        "The ChatKit UI script could not be loaded from cdn.platform.openai.com. " +
        "This app needs outbound access to cdn.platform.openai.com, and to api.openai.com " +
        "for the domain-key check. Check your network, firewall or content security policy, then retry."
      }
      // A failed <script> is not loaded again in place; a reload fetches it anew.
      onRetry={() => window.location.reload()}
    />
  );
}

type NoticeProps = { testId: string; title: string; message: string; onRetry: () => void };

function Notice({ testId, title, message, onRetry }: NoticeProps) {
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

function asSessionError(error: unknown): SessionError {
  return error instanceof SessionError ? error : new SessionError("unavailable", undefined, { cause: error });
}

/** The model list, or null while it loads; empty when the proxy offers none or fails. */
function useModels(): ModelOption[] | null {
  const [models, setModels] = useState<ModelOption[] | null>(null);
  useEffect(() => {
    const controller = new AbortController();
    fetch(config.modelsUrl, { signal: controller.signal })
      .then((response) => (response.ok ? response.json() : null))
      .then((body: unknown) => setModels(parseModels(body)))
      .catch((error: unknown) => {
        if (controller.signal.aborted) return;
        console.warn("Could not load the model list:", error);
        setModels([]);
      });
    return () => controller.abort();
  }, []);
  return models;
}

const DARK_QUERY = "(prefers-color-scheme: dark)";

function useColorScheme(): ColorScheme {
  const prefersDark = useSyncExternalStore(
    (onChange) => {
      const query = window.matchMedia(DARK_QUERY);
      query.addEventListener("change", onChange);
      return () => query.removeEventListener("change", onChange);
    },
    () => window.matchMedia(DARK_QUERY).matches,
    () => false,
  );
  if (config.colorScheme !== "system") return config.colorScheme;
  return prefersDark ? "dark" : "light";
}
