"use client";

import { Notice } from "./Notice";

/** In place of ChatKit's element when its script did not load (CHAT_UI=chatkit). */
export function ScriptErrorNotice() {
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
