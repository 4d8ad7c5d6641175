"use client";

import { useEffect, useRef, useState } from "react";

import type { ChatUi } from "@/lib/chatUi";
import { SessionClient, SessionError, asSessionError } from "@/lib/session";

import { BuiltinChat } from "./builtin/BuiltinChat";
import { ChatKitView } from "./ChatKitView";
import { useChatKitScript } from "./ChatKitScript";
import styles from "./ChatPanel.module.css";
import { ScriptErrorNotice } from "./ScriptErrorNotice";
import { SessionErrorView } from "./SessionErrorView";
import { SwitchedToBuiltinNotice } from "./SwitchedToBuiltinNotice";
import { useModels } from "./useModels";

// How long `auto` waits for ChatKit's script before showing the built-in view instead.
const AUTO_SWITCH_MS = 4_000;
const CHATKIT_WAIT_MS = 8_000;

/**
 * What the panel shows: ChatKit's element or the built-in view, once the session and the model
 * list are there; a notice with a retry when the chat cannot start. Restarting keeps the
 * conversation that was open.
 */
export function ChatContent({ ui }: { ui: ChatUi }) {
  const [session] = useState(() => new SessionClient());
  const script = useChatKitScript(ui !== "builtin", ui === "auto" ? AUTO_SWITCH_MS : CHATKIT_WAIT_MS);
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

  // Once `auto` has switched to the built-in view it stays there: a late script never swaps the
  // conversation away under the person.
  const [switched, setSwitched] = useState(false);
  if (ui === "auto" && script === "failed" && !switched) setSwitched(true);
  const builtin = ui === "builtin" || switched;
  if (script === "failed" && !builtin) {
    return <ScriptErrorNotice />;
  }
  if (sessionError) {
    return <SessionErrorView error={sessionError} chatKitReady={script === "ready" && !builtin} onRetry={restart} />;
  }
  if ((script === "loading" && !builtin) || models === null) {
    return (
      <div className={styles.status} data-testid="chat-loading" role="status">
        Loading the chat…
      </div>
    );
  }
  if (builtin) {
    return (
      <BuiltinChat
        key={attempt}
        session={session}
        models={models}
        onSessionError={setSessionError}
        notice={ui === "auto" ? <SwitchedToBuiltinNotice /> : undefined}
      />
    );
  }
  return (
    <ChatKitView
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
