"use client";

import type { ChatUi } from "@/lib/chatUi";
import { config } from "@/lib/config";

import { ChatContent } from "./ChatContent";
import { ChatKitScript } from "./ChatKitScript";
import styles from "./ChatPanel.module.css";

/**
 * The whole chat: drop it into any page, it fills the box its parent gives it. `ui` picks the
 * view (see lib/chatUi.ts); `builtin` never loads ChatKit's script.
 */
export function ChatPanel({ ui }: { ui: ChatUi }) {
  return (
    <section className={styles.panel} aria-label={config.title}>
      {ui !== "builtin" && <ChatKitScript />}
      <ChatContent ui={ui} />
    </section>
  );
}
