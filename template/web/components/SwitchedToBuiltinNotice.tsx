"use client";

import builtinStyles from "./builtin/BuiltinChat.module.css";

/** Above the built-in view once CHAT_UI=auto has switched to it: why, and a way back to ChatKit. */
export function SwitchedToBuiltinNotice() {
  return (
    <div className={builtinStyles.fallbackNotice} role="status" data-testid="builtin-notice">
      <p>ChatKit&apos;s interface could not be loaded from cdn.platform.openai.com, so this is the app&apos;s built-in chat view.</p>
      {/* A failed <script> is not loaded again in place; a reload fetches it anew. */}
      <button type="button" onClick={() => window.location.reload()}>
        Try ChatKit again
      </button>
    </div>
  );
}
