"use client";

import Script from "next/script";
import { useEffect, useState } from "react";

export const CHATKIT_SCRIPT_URL = "https://cdn.platform.openai.com/deployments/chatkit/chatkit.js";
const ELEMENT = "openai-chatkit";
const FAILED_EVENT = "chatkit-script-failed";

let failed = false;

/** Loads the ChatKit web component from OpenAI's CDN (it cannot be bundled or pinned). */
export function ChatKitScript() {
  return (
    <Script
      id="chatkit-script"
      src={CHATKIT_SCRIPT_URL}
      strategy="afterInteractive"
      onError={() => {
        failed = true;
        window.dispatchEvent(new Event(FAILED_EVENT));
      }}
    />
  );
}

export type ScriptStatus = "loading" | "ready" | "failed";

/**
 * "failed" after a load error or `timeoutMs` without the element; a late load still wins.
 * Stays "loading" while `watching` is false (the page does not load the script).
 */
export function useChatKitScript(watching: boolean, timeoutMs: number): ScriptStatus {
  const [status, setStatus] = useState<ScriptStatus>("loading");

  useEffect(() => {
    if (!watching) return;
    if (customElements.get(ELEMENT)) {
      setStatus("ready");
      return;
    }
    let active = true;
    const fail = () => setStatus((current) => (current === "ready" ? current : "failed"));
    if (failed) fail();
    customElements.whenDefined(ELEMENT).then(() => active && setStatus("ready"));
    window.addEventListener(FAILED_EVENT, fail);
    const timer = setTimeout(fail, timeoutMs);
    return () => {
      active = false;
      window.removeEventListener(FAILED_EVENT, fail);
      clearTimeout(timer);
    };
  }, [watching, timeoutMs]);

  return status;
}
